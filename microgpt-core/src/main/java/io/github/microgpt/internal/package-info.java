/**
 * Internal: what the library's packages share but users must not touch. Do not use.
 *
 * <p>{@code module-info} does not export this package, so a modular program cannot see it at
 * all; on the class path it is visible, but it is not part of the API: anything here may change
 * or disappear in any release, without notice (as in gson's {@code com.google.gson.internal}).
 * The public listing of the API ({@code microgpt-core/api/microgpt-core.api}) leaves it out.
 */
package io.github.microgpt.internal;
