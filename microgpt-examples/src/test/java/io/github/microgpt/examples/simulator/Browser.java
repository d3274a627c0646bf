package io.github.microgpt.examples.simulator;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The browser of the browser tests: a Chromium or Chrome found on this machine, driven through
 * its chromedriver when there is one and over the DevTools protocol ({@link CdpDriver}) when there
 * is not. Nothing is downloaded.
 *
 * <p>Where to look, first match wins:
 * <ul>
 *   <li>the browser: {@code -Dmicrogpt.browser.binary=PATH}, the environment variable
 *       {@code CHROME_BIN}, then the usual places ({@code /usr/bin/chromium},
 *       {@code /usr/bin/chromium-browser}, {@code /usr/bin/google-chrome}, ...) and the
 *       {@code PATH};</li>
 *   <li>the driver: {@code -Dmicrogpt.browser.driver=PATH}, the environment variable
 *       {@code CHROMEDRIVER}, then {@code /usr/bin/chromedriver},
 *       {@code /usr/lib/chromium/chromedriver} and the {@code PATH}.</li>
 * </ul>
 * The value {@code none} hides the browser or the driver, to try the other paths.
 *
 * <p>Without a browser the tests are skipped with one line saying how to get one, unless
 * {@code -Dmicrogpt.browser=required} (as {@code .ci/run} sets), which fails them instead.
 */
final class Browser {

    static final String MODE = "microgpt.browser";
    static final String BINARY = "microgpt.browser.binary";
    static final String DRIVER = "microgpt.browser.driver";

    /** The flags of every launch: headless, quiet, and no network but this machine. */
    static final List<String> FLAGS = List.of("--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1");

    private static final List<String> BROWSER_PLACES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium",
            "/opt/google/chrome/chrome", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Chromium.app/Contents/MacOS/Chromium");
    private static final List<String> BROWSER_NAMES = List.of("chromium", "chromium-browser", "google-chrome",
            "google-chrome-stable", "chrome");
    private static final List<String> DRIVER_PLACES = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

    private static boolean skipAnnounced;

    private Browser() {
    }

    /**
     * Put on a browser test class ({@code @ExtendWith(Browser.Needed.class)}): without a browser
     * the class is skipped and one line on stdout says why and how to get one; when a browser is
     * required, the class runs and {@link #start} fails it with the same words.
     */
    static final class Needed implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (required() || find("the browser", BINARY, "CHROME_BIN", BROWSER_PLACES, BROWSER_NAMES).isPresent()) {
                return ConditionEvaluationResult.enabled("a browser is there (or required)");
            }
            synchronized (Browser.class) {
                if (!skipAnnounced) {
                    System.out.println("[browser tests skipped] " + noBrowser() + ".");
                    skipAnnounced = true;
                }
            }
            return ConditionEvaluationResult.disabled(noBrowser());
        }
    }

    private static final String NO_BROWSER = "no Chromium or Chrome found (looked at -D" + BINARY + ", CHROME_BIN, "
            + String.join(", ", BROWSER_PLACES.subList(0, 3)) + ", ... and the PATH). Install one"
            + " (Debian/Ubuntu: apt-get install chromium chromium-driver) or set CHROME_BIN to it";

    /**
     * Why there is no browser: turned off on purpose ({@code none}), which needs no advice on
     * installing one, or not found.
     */
    private static String noBrowser() {
        String property = System.getProperty(BINARY);
        if (property != null && !property.isBlank()) {
            if (property.strip().equalsIgnoreCase("none")) {
                return "the browser is turned off (-D" + BINARY + "=none)";
            }
        } else {
            String variable = System.getenv("CHROME_BIN");
            if (variable != null && variable.strip().equalsIgnoreCase("none")) {
                return "the browser is turned off (CHROME_BIN=none)";
            }
        }
        return NO_BROWSER;
    }

    /**
     * Starts the browser with a fresh profile in {@code profile} and the given extra flags; without
     * a browser, skips the calling test class, or fails it when a browser is required.
     */
    static WebDriver start(Path profile, List<String> extraFlags) {
        Path binary = binary();
        List<String> flags = flags(profile, extraFlags);
        Optional<Path> driver = find("the driver", DRIVER, "CHROMEDRIVER", DRIVER_PLACES, List.of("chromedriver"));
        if (driver.isPresent()) {
            ChromeOptions options = new ChromeOptions();
            options.setBinary(binary.toFile());
            options.addArguments(flags);
            // The page's console, for the message of a test that waited in vain (BrowserSession.waitFor).
            options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(driver.get().toFile())
                    .usingAnyFreePort()
                    .build();
            return new ChromeDriver(service, options);
        }
        return CdpDriver.launch(binary, flags, profile);
    }

    /** Starts the browser as {@link #start} does, but always over the DevTools protocol, even with a chromedriver. */
    static CdpDriver startOverDevTools(Path profile, List<String> extraFlags) {
        return CdpDriver.launch(binary(), flags(profile, extraFlags), profile);
    }

    private static Path binary() {
        Optional<Path> binary = find("the browser", BINARY, "CHROME_BIN", BROWSER_PLACES, BROWSER_NAMES);
        if (binary.isEmpty()) {
            if (required()) {
                throw new IllegalStateException("the browser tests are required (-D" + MODE + "=required) but "
                        + noBrowser());
            }
            Assumptions.abort(noBrowser());
        }
        return binary.get();
    }

    private static List<String> flags(Path profile, List<String> extraFlags) {
        List<String> flags = new ArrayList<>(FLAGS);
        flags.add("--user-data-dir=" + profile);
        flags.addAll(extraFlags);
        return flags;
    }

    /** Whether a missing browser fails the build ({@code -Dmicrogpt.browser=required}). */
    static boolean required() {
        String mode = System.getProperty(MODE, "auto").strip().toLowerCase(Locale.ROOT);
        return mode.equals("required");
    }

    /**
     * The first executable of: the system property, the environment variable, the places, the
     * names on the PATH. A property or variable that names no executable is an error, not a
     * reason to look elsewhere: whoever set it meant that file.
     */
    private static Optional<Path> find(String what, String property, String variable, List<String> places,
            List<String> names) {
        String chosen = System.getProperty(property);
        String source = "-D" + property;
        if (chosen == null || chosen.isBlank()) {
            chosen = System.getenv(variable);
            source = variable;
        }
        if (chosen != null && !chosen.isBlank()) {
            if (chosen.strip().equalsIgnoreCase("none")) {
                return Optional.empty();
            }
            Path path = Path.of(chosen.strip());
            if (!Files.isExecutable(path) || Files.isDirectory(path)) {
                throw new IllegalStateException(source + " names " + what + " " + path + ", which is not an executable file");
            }
            return Optional.of(path);
        }
        for (String place : places) {
            Path path = Path.of(place);
            if (Files.isExecutable(path) && !Files.isDirectory(path)) {
                return Optional.of(path);
            }
        }
        String pathVariable = System.getenv("PATH");
        if (pathVariable != null) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                for (String name : names) {
                    if (dir.isEmpty()) {
                        continue;
                    }
                    Path path = Path.of(dir, name);
                    if (Files.isExecutable(path) && !Files.isDirectory(path)) {
                        return Optional.of(path);
                    }
                }
            }
        }
        return Optional.empty();
    }
}
