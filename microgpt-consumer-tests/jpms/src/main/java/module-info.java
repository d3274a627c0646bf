/** A program that uses microgpt as a JPMS module, as a modular application would. */
module io.github.microgpt.consumer.jpms {
    requires io.github.microgpt;
    exports io.github.microgpt.consumer.jpms;
}
