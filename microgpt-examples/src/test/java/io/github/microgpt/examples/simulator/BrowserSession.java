package io.github.microgpt.examples.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A browser test class's browser and simulator, started together and closed together: a scratch
 * directory holding the browser's fresh profile, the browser ({@link Browser#start}: Selenium with
 * a chromedriver, or the DevTools protocol without one), and a simulator server over the reference
 * names with its {@link Fixtures.Api}. {@link #close} quits the browser, stops the server and
 * deletes the directory, doing every one of them even when an earlier one fails.
 *
 * <pre>
 * &#64;BeforeAll void start(&#64;TempDir Path checkpoints) throws IOException {
 *     browser = BrowserSession.open(checkpoints);
 * }
 * &#64;AfterAll void stop() {
 *     if (browser != null) {
 *         browser.close();
 *     }
 * }
 * </pre>
 *
 * <p>Without a browser, {@link #open} skips the calling class (or fails it when one is required),
 * as {@link Browser#start} does; put {@code @ExtendWith(Browser.Needed.class)} on the class so that
 * the skip is announced once, before anything starts. The small helpers ({@link #text},
 * {@link #click}, {@link #waitFor}, ...) are what every browser test reads and does on the page.
 */
final class BrowserSession implements AutoCloseable {

    /** How long a test waits for the page before it fails: generous, for a machine that is busy. */
    static final Duration WAIT = Duration.ofSeconds(60);

    /** The window of every simulator test: tall enough for the panels, without scrollbars in screenshots. */
    static final List<String> WINDOW = List.of("--window-size=1440,1700", "--hide-scrollbars");

    /**
     * Selenium warns that it has no DevTools bindings for this Chromium; the tests do not use them.
     * Held in a field: a logger nobody refers to may be collected, and its level with it.
     */
    private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

    private final Path directory;
    /** The texts {@link #text} read during the current {@link #waitFor}, by id; null outside one. */
    private Map<String, String> lastRead;
    private WebDriver driver;
    private SimulatorServer server;
    private Fixtures.Api api;

    private BrowserSession(Path directory) {
        this.directory = directory;
    }

    /**
     * Starts the browser and a simulator that saves models in {@code checkpoints}. Whatever was
     * started before a failure is closed again before the failure is thrown.
     *
     * @param checkpoints the simulator's checkpoint directory
     * @return the session, to {@link #close} after the class's tests
     * @throws IOException if the scratch directory or the server cannot be made
     */
    static BrowserSession open(Path checkpoints) throws IOException {
        DEVTOOLS_LOG.setLevel(Level.SEVERE);
        BrowserSession session = new BrowserSession(Files.createTempDirectory("microgpt-browser-"));
        try {
            Path profile = Files.createDirectory(session.directory.resolve("profile"));
            session.driver = Browser.start(profile, WINDOW);
            session.driver.manage().timeouts().pageLoadTimeout(WAIT);
            session.server = Fixtures.startServer(checkpoints);
            session.api = new Fixtures.Api(session.server);
            return session;
        } catch (IOException | RuntimeException | Error e) {
            try {
                session.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** The browser. */
    WebDriver driver() {
        return driver;
    }

    /** The simulator's server. */
    SimulatorServer server() {
        return server;
    }

    /** The simulator's HTTP API. */
    Fixtures.Api api() {
        return api;
    }

    /**
     * A path in the session's scratch directory (beside the profile) for files a test hands to the
     * page, such as an upload; deleted with the session.
     *
     * @param name the file's name
     * @return the path; nothing is created
     */
    Path scratch(String name) {
        return directory.resolve(name);
    }

    /** Loads the simulator's page. */
    void openPage() {
        driver.get(server.uri().toString());
    }

    /**
     * The visible text of the element with this id. Inside {@link #waitFor} the text is also
     * remembered, so that a wait that fails can say what the page last showed.
     */
    String text(String id) {
        String text = driver.findElement(By.id(id)).getText();
        if (lastRead != null) {
            lastRead.put(id, text);
        }
        return text;
    }

    /** Clicks the element with this id. */
    void click(String id) {
        click(By.id(id));
    }

    /** Clicks the first element found. */
    void click(By by) {
        driver.findElement(by).click();
    }

    /** Replaces the text of the field with this id. */
    void type(String id, String text) {
        WebElement field = driver.findElement(By.id(id));
        field.clear();
        field.sendKeys(text);
    }

    /** Runs a script in the page and returns its result as the driver gives it. */
    Object script(String script, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(script, arguments);
    }

    /**
     * Opens the page again in a frame {@code width} pixels wide inside this one, and waits until
     * {@code ready} holds there: the page's layout follows the frame's own viewport, so this lays
     * it out at widths a browser window cannot be made as narrow as (a phone's).
     *
     * @param frame the frame's id, to read it ({@code document.getElementById(frame).contentDocument})
     *     and remove it afterwards
     * @param width the frame's width in CSS pixels
     * @param what what is awaited, for the message of a wait in vain
     * @param ready a JavaScript expression of {@code doc}, the frame's document, true once the page
     *     in it is ready (until it has loaded, the frame holds an empty document of its own)
     */
    void openInFrame(String frame, int width, String what, String ready) {
        script("const f = document.createElement('iframe');"
                + " f.id = arguments[0]; f.style.width = arguments[1] + 'px'; f.style.height = '1700px';"
                + " f.style.border = '0'; f.src = location.href; document.body.appendChild(f);", frame, width);
        waitFor(what + " in a frame " + width + " px wide", d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                "const doc = document.getElementById(arguments[0]).contentDocument;"
                        + " return doc !== null && doc.defaultView.innerWidth === arguments[1] && (" + ready + ");",
                frame, width));
    }

    /**
     * Waits until the condition holds, at most {@link #WAIT}. A stale element is a page that
     * redrew between finding and reading: the condition is asked again.
     *
     * @throws AssertionError if the condition did not hold in time; its message says what was
     *     awaited, the texts the condition last read ({@link #text}), the state of the page and
     *     what the page said on its console, so that the failure can be understood from the report
     */
    void waitFor(String what, Function<WebDriver, Boolean> condition) {
        Map<String, String> read = new LinkedHashMap<>();
        lastRead = read;
        try {
            new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(condition::apply);
        } catch (TimeoutException e) {
            throw new AssertionError(timedOut(what, read), e);
        } finally {
            lastRead = null;
        }
    }

    /** The message of a wait that failed: what, the texts last read, the page and its console. */
    private String timedOut(String what, Map<String, String> read) {
        StringBuilder message = new StringBuilder("waited " + WAIT.toSeconds() + " s for " + what + ", in vain ("
                + driver.getClass().getSimpleName() + ")");
        if (!read.isEmpty()) {
            message.append("\n  the condition last read:");
            read.forEach((id, text) -> message.append("\n    #").append(id).append(": ").append(quoted(text)));
        }
        message.append("\n  the page: ").append(pageState());
        message.append("\n  the page's console:").append(console());
        return message.toString();
    }

    /** Where the page is and what it shows that matters in most waits; a page that does not answer says so. */
    private String pageState() {
        try {
            return String.valueOf(script("""
                    const text = id => { const e = document.getElementById(id);
                        return e ? JSON.stringify(e.innerText.trim().slice(0, 300)) : '(none)'; };
                    const error = document.getElementById('error');
                    const open = Array.from(document.querySelectorAll('details[open]')).map(d => '#' + d.id);
                    const focus = document.activeElement;
                    return location.href + ' (' + document.readyState + '), connection ' + text('connection')
                        + ', ' + text('step-counter') + ', error banner '
                        + (error && !error.hidden ? text('error-text') : '(hidden)')
                        + ', open details [' + open.join(', ') + ']'
                        + ', focus ' + (focus ? focus.tagName.toLowerCase() + (focus.id ? '#' + focus.id : '') : '(none)')
                        + ', scrolled to ' + Math.round(scrollX) + ',' + Math.round(scrollY);
                    """));
        } catch (RuntimeException e) {
            return "(could not be read: " + firstLine(e) + ")";
        }
    }

    /** The page's console since it was last read, one line a message; or why it cannot be had. */
    private String console() {
        try {
            List<LogEntry> entries = driver.manage().logs().get(LogType.BROWSER).getAll();
            if (entries.isEmpty()) {
                return " (nothing)";
            }
            StringBuilder lines = new StringBuilder();
            for (LogEntry entry : entries.subList(Math.max(0, entries.size() - 30), entries.size())) {
                lines.append("\n    ").append(entry.getLevel()).append(' ').append(entry.getMessage());
            }
            return lines.toString();
        } catch (RuntimeException e) {
            return " (could not be read: " + firstLine(e) + ")";
        }
    }

    private static String firstLine(RuntimeException e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
    }

    private static String quoted(String text) {
        String shown = text.length() > 300 ? text.substring(0, 300) + "…" : text;
        return "\"" + shown.replace("\n", "\\n") + "\"";
    }

    /**
     * Saves a screenshot of the window as {@code name} in the screenshot directory
     * ({@code -Dmicrogpt.screenshots}, by default {@code target/screenshots}).
     *
     * @return the file written
     */
    Path screenshot(String name) throws IOException {
        Path file = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        return Files.copy(file, screenshots().resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits until the diagram's flash (half a second after a step or token) has faded, so that a screenshot is calm. */
    void waitForCalmDiagram() {
        waitFor("the diagram to settle",
                d -> ((Long) script("return document.querySelectorAll('#diagram .flash').length;")) == 0);
    }

    /** The directory screenshots go to, made if missing. */
    static Path screenshots() throws IOException {
        return Files.createDirectories(Path.of(System.getProperty("microgpt.screenshots", "target/screenshots")));
    }

    /**
     * Quits the browser, stops the server and deletes the scratch directory with the profile. Each
     * is done even if one before it failed; the first failure of the browser or the server is
     * thrown, with the other suppressed.
     */
    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            if (driver != null) {
                driver.quit();
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            if (server != null) {
                server.close();
            }
        } catch (RuntimeException e) {
            failure = collect(failure, e);
        }
        deleteOrSay(directory);
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException collect(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    /**
     * Deletes the directory. The browser's last helper processes may still be writing to the
     * profile for a moment after they were told to quit, so a failure is tried again a few times;
     * a directory left over after that is said on stderr rather than failing the tests, whose
     * results it does not change.
     */
    private static void deleteOrSay(Path directory) {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try (Stream<Path> files = Files.walk(directory)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException | UncheckedIOException e) {
                last = e instanceof UncheckedIOException unchecked ? unchecked.getCause() : (IOException) e;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        System.err.println("[browser tests] could not delete " + directory + ": " + last);
    }
}
