/**
 * Internals that several packages of microgpt share and users must not touch. {@code module-info}
 * does not export this package: nothing here is API, and it may change in any release.
 */
package io.github.microgpt.internal;
