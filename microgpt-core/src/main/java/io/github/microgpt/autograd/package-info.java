/**
 * The scalar autograd engine: {@link io.github.microgpt.autograd.Value}, a number that records
 * the operation that made it ({@link io.github.microgpt.autograd.Operation}) so that
 * {@code backward()} can compute every derivative; and
 * {@link io.github.microgpt.autograd.ExpressionGraph}, the graph behind a value as nodes and
 * edges, as Graphviz DOT or as an SVG picture.
 */
package io.github.microgpt.autograd;
