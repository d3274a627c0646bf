package io.github.microgpt.examples.simulator;

/**
 * A request the simulator refuses, with the HTTP status to answer and a message for the person
 * at the page. Thrown before anything changes, so a refused request leaves the session as it was.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates the exception.
     *
     * @param status the HTTP status, for example 400 for a bad value or 409 for a request that
     *     does not fit the session's state (such as Step while a run is in progress)
     * @param message one sentence that says what is wrong and, where it helps, what to do
     */
    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /**
     * A bad value: HTTP 400.
     *
     * @param message what is wrong
     * @return the exception
     */
    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /**
     * A request that the session cannot carry out in its present state: HTTP 409.
     *
     * @param message what is in the way
     * @return the exception
     */
    public static ApiException conflict(String message) {
        return new ApiException(409, message);
    }

    /**
     * The HTTP status to answer with.
     *
     * @return the status
     */
    public int status() {
        return status;
    }
}
