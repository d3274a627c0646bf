/**
 * The scalar autograd engine: {@link io.github.microgpt.autograd.Value}, a number that records
 * the operations that made it so that {@code backward()} can compute every derivative.
 */
package io.github.microgpt.autograd;
