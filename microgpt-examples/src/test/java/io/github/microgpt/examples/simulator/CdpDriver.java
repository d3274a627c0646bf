package io.github.microgpt.examples.simulator;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.ElementNotInteractableException;
import org.openqa.selenium.JavascriptException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Point;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntries;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.Logs;

/**
 * A {@link WebDriver} for a Chromium that has no chromedriver beside it: it talks to the browser
 * itself over the Chrome DevTools Protocol, on a WebSocket of the JDK ({@code java.net.http}).
 *
 * <p>It does what the simulator's browser tests ask of a driver, the way chromedriver does it:
 * elements are found with CSS selectors or XPath, a click is a real mouse press and release at
 * the element's centre, typed text is inserted where the caret is, a file input is given its file
 * through the protocol, scripts return numbers as {@code Long} or {@code Double}, and screenshots
 * are PNGs. What the tests do not use (cookies, windows, frames, history) throws
 * {@link UnsupportedOperationException}. Elements are remembered in the page by a token of the
 * document, so an element of a page that has been left is reported stale, as WebDriver does.
 *
 * <p>What the page says on its console, the exceptions nobody caught and the browser's own
 * complaints (a request that failed, ...) are kept, the last {@value #CONSOLE_KEPT} of them, and
 * handed out as the {@code browser} log ({@code manage().logs().get(LogType.BROWSER)}), as
 * chromedriver does: a test that fails can say what the page said.
 */
final class CdpDriver implements WebDriver, JavascriptExecutor, TakesScreenshot {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final Gson GSON = new Gson();
    private static final int CONSOLE_KEPT = 100;

    /**
     * Page-side helpers: a registry of the elements handed to Java (keyed by a token of the
     * document, so that a new page makes old references stale) and the conversion of script
     * results into JSON with element references.
     */
    private static final String PAGE_HELPERS = """
            (() => {
              if (!window.__microgpt) {
                window.__microgpt = {token: Math.random().toString(36).slice(2), elements: []};
              }
              const registry = window.__microgpt;
              registry.ref = (element) => {
                let index = registry.elements.indexOf(element);
                if (index < 0) { index = registry.elements.push(element) - 1; }
                return {__element: registry.token + ':' + index};
              };
              registry.get = (ref) => {
                const [token, index] = ref.split(':');
                const element = token === registry.token ? registry.elements[Number(index)] : undefined;
                if (!element || !element.isConnected) { throw new Error('stale element reference'); }
                return element;
              };
              registry.out = (value) => {
                if (value instanceof Element) { return registry.ref(value); }
                if (value instanceof NodeList || value instanceof HTMLCollection) { value = Array.from(value); }
                if (Array.isArray(value)) { return value.map(registry.out); }
                if (value && typeof value === 'object') {
                  const out = {};
                  for (const key of Object.keys(value)) { out[key] = registry.out(value[key]); }
                  return out;
                }
                return value === undefined ? null : value;
              };
              registry.find = (root, using, value) => {
                if (using === 'xpath') {
                  const found = document.evaluate(value, root, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
                  const out = [];
                  for (let i = 0; i < found.snapshotLength; i++) {
                    if (found.snapshotItem(i) instanceof Element) { out.push(found.snapshotItem(i)); }
                  }
                  return out;
                }
                const selector = using === 'id' ? '#' + CSS.escape(value)
                    : using === 'class name' ? '.' + CSS.escape(value)
                    : using === 'name' ? '[name="' + CSS.escape(value) + '"]'
                    : value;
                return Array.from(root.querySelectorAll(selector));
              };
              return registry;
            })()""";

    private final Process process;
    private final Path log;
    private final Connection connection;
    private final String sessionId;
    private Dimension viewport;
    /** The page's console since the last read of the browser log; the oldest go first when it is full. */
    private final Deque<LogEntry> console = new ArrayDeque<>();

    private CdpDriver(Process process, Path log, Connection connection, String sessionId, Dimension viewport) {
        this.process = process;
        this.log = log;
        this.connection = connection;
        this.sessionId = sessionId;
        this.viewport = viewport;
    }

    /**
     * Starts the browser with the given flags (which must include {@code --user-data-dir}) and
     * opens a page on it.
     */
    static CdpDriver launch(Path binary, List<String> flags, Path profile) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(flags);
        command.add("--remote-debugging-port=0");
        command.add("about:blank");
        Path log = profile.resolveSibling(profile.getFileName() + ".log");
        Path activePort = profile.resolve("DevToolsActivePort");
        Process process;
        try {
            Files.deleteIfExists(activePort);
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new WebDriverException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        try {
            URI endpoint = waitForEndpoint(process, activePort, log);
            Connection connection = Connection.open(endpoint);
            String targetId = connection.send(null, "Target.createTarget", object("url", "about:blank"))
                    .get("targetId").getAsString();
            JsonObject attach = object("targetId", targetId);
            attach.addProperty("flatten", true);
            String sessionId = connection.send(null, "Target.attachToTarget", attach).get("sessionId").getAsString();
            Dimension viewport = windowSize(flags);
            CdpDriver driver = new CdpDriver(process, log, connection, sessionId, viewport);
            // Listening before the domains are enabled: enabling replays what was said before.
            connection.listen(sessionId, "Runtime.consoleAPICalled", driver::consoleCalled);
            connection.listen(sessionId, "Runtime.exceptionThrown", driver::exceptionThrown);
            connection.listen(sessionId, "Log.entryAdded", driver::entryAdded);
            connection.send(sessionId, "Page.enable", new JsonObject());
            connection.send(sessionId, "Runtime.enable", new JsonObject());
            connection.send(sessionId, "Log.enable", new JsonObject());
            driver.applyViewport();
            return driver;
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static Dimension windowSize(List<String> flags) {
        for (String flag : flags) {
            if (flag.startsWith("--window-size=")) {
                String[] parts = flag.substring("--window-size=".length()).split(",");
                return new Dimension(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
            }
        }
        return new Dimension(800, 600);
    }

    /** Chromium writes its port and the browser's WebSocket path to DevToolsActivePort once it listens. */
    private static URI waitForEndpoint(Process process, Path activePort, Path log) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.isRegularFile(activePort)) {
                    List<String> lines = Files.readAllLines(activePort, StandardCharsets.UTF_8);
                    if (lines.size() >= 2 && !lines.get(1).isBlank()) {
                        return URI.create("ws://127.0.0.1:" + lines.get(0).strip() + lines.get(1).strip());
                    }
                }
                if (!process.isAlive()) {
                    throw new WebDriverException("the browser exited with code " + process.exitValue()
                            + " before it listened; its output:\n" + tail(log));
                }
                Thread.sleep(50);
            } catch (IOException e) {
                // The file is being written; read it again.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WebDriverException("interrupted while the browser started", e);
            }
        }
        throw new WebDriverException("the browser did not open its DevTools port within " + START_TIMEOUT.toSeconds()
                + " s; its output:\n" + tail(log));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    // ------------------------------------------------------------------ the page's console

    private void consoleCalled(JsonObject params) {
        String type = params.get("type").getAsString();
        List<String> parts = new ArrayList<>();
        for (JsonElement arg : params.getAsJsonArray("args")) {
            parts.add(remoteText(arg.getAsJsonObject()));
        }
        Level level = switch (type) {
            case "error", "assert" -> Level.SEVERE;
            case "warning" -> Level.WARNING;
            default -> Level.INFO;
        };
        keep(level, params, "console." + type + ": " + String.join(" ", parts));
    }

    private void exceptionThrown(JsonObject params) {
        JsonObject details = params.getAsJsonObject("exceptionDetails");
        String text = details.has("exception") ? remoteText(details.getAsJsonObject("exception"))
                : details.get("text").getAsString();
        String where = details.has("url") ? " (" + details.get("url").getAsString() + ":"
                + (details.get("lineNumber").getAsInt() + 1) + ")" : "";
        keep(Level.SEVERE, params, "uncaught " + text + where);
    }

    private void entryAdded(JsonObject params) {
        JsonObject entry = params.getAsJsonObject("entry");
        String level = entry.get("level").getAsString();
        String url = entry.has("url") ? " (" + entry.get("url").getAsString() + ")" : "";
        keep(level.equals("error") ? Level.SEVERE : level.equals("warning") ? Level.WARNING : Level.INFO, entry,
                entry.get("source").getAsString() + ": " + entry.get("text").getAsString() + url);
    }

    /** A value the page logged, as text: a string as it is, anything else by its description. */
    private static String remoteText(JsonObject object) {
        if (object.has("value")) {
            JsonElement value = object.get("value");
            return value.isJsonPrimitive() ? value.getAsString() : value.toString();
        }
        if (object.has("description")) {
            return object.get("description").getAsString();
        }
        return object.has("unserializableValue") ? object.get("unserializableValue").getAsString()
                : object.get("type").getAsString();
    }

    /** Keeps a message; {@code timed} holds its time in milliseconds since 1970 if the browser gave one. */
    private void keep(Level level, JsonObject timed, String message) {
        long time = timed.has("timestamp") ? (long) timed.get("timestamp").getAsDouble() : System.currentTimeMillis();
        synchronized (console) {
            if (console.size() == CONSOLE_KEPT) {
                console.removeFirst();
            }
            console.addLast(new LogEntry(level, time, message));
        }
    }

    /** The console kept so far, which is then forgotten (chromedriver's browser log is read once, too). */
    private LogEntries takeConsole() {
        synchronized (console) {
            List<LogEntry> entries = new ArrayList<>(console);
            console.clear();
            return new LogEntries(entries);
        }
    }

    // ------------------------------------------------------------------ the protocol, for the page

    private JsonObject send(String method, JsonObject params) {
        return connection.send(sessionId, method, params);
    }

    /** Evaluates an expression in the page (promises awaited) and returns its value as JSON. */
    private JsonElement evaluate(String expression) {
        JsonObject params = object("expression", expression);
        params.addProperty("returnByValue", true);
        params.addProperty("awaitPromise", true);
        JsonObject response = send("Runtime.evaluate", params);
        if (response.has("exceptionDetails")) {
            JsonObject details = response.getAsJsonObject("exceptionDetails");
            String text = details.has("exception") && details.getAsJsonObject("exception").has("description")
                    ? details.getAsJsonObject("exception").get("description").getAsString()
                    : details.get("text").getAsString();
            if (text.contains("stale element reference")) {
                throw new StaleElementReferenceException("the element is no longer on the page");
            }
            throw new JavascriptException(text);
        }
        JsonObject result = response.getAsJsonObject("result");
        return result.has("value") ? result.get("value") : null;
    }

    /** Runs a function body with {@code registry} and {@code args} in scope. */
    private JsonElement call(String body, List<Object> args) {
        StringBuilder arguments = new StringBuilder("[");
        for (Object arg : args) {
            if (arguments.length() > 1) {
                arguments.append(',');
            }
            arguments.append(toJavaScript(arg));
        }
        arguments.append(']');
        return evaluate("(async () => { const registry = " + PAGE_HELPERS + "; const args = " + arguments
                + "; return registry.out(await (async function() {" + body + "}).apply(null, args)); })()");
    }

    private static String toJavaScript(Object value) {
        if (value instanceof Element element) {
            return "registry.get(" + GSON.toJson(element.ref) + ")";
        }
        if (value instanceof List<?> list) {
            List<String> items = new ArrayList<>();
            for (Object item : list) {
                items.add(toJavaScript(item));
            }
            return "[" + String.join(",", items) + "]";
        }
        if (value == null || value instanceof Number || value instanceof Boolean || value instanceof CharSequence) {
            return GSON.toJson(value instanceof CharSequence text ? text.toString() : value);
        }
        throw new IllegalArgumentException("cannot pass a " + value.getClass().getName() + " to a script");
    }

    /** JSON back to what a WebDriver returns: Long for whole numbers, Double, Boolean, String, List, Map, elements. */
    private Object fromJson(JsonElement json) {
        if (json == null || json.isJsonNull()) {
            return null;
        }
        if (json.isJsonPrimitive()) {
            if (json.getAsJsonPrimitive().isBoolean()) {
                return json.getAsBoolean();
            }
            if (json.getAsJsonPrimitive().isNumber()) {
                double number = json.getAsDouble();
                return number == Math.rint(number) && !Double.isInfinite(number) && Math.abs(number) < 0x1p63
                        ? (Object) (long) number : (Object) number;
            }
            return json.getAsString();
        }
        if (json.isJsonArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonElement item : json.getAsJsonArray()) {
                list.add(fromJson(item));
            }
            return list;
        }
        JsonObject object = json.getAsJsonObject();
        if (object.size() == 1 && object.has("__element")) {
            return new Element(object.get("__element").getAsString());
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
            map.put(entry.getKey(), fromJson(entry.getValue()));
        }
        return map;
    }

    private List<WebElement> find(Element root, By by) {
        if (!(by instanceof By.Remotable remotable)) {
            throw new UnsupportedOperationException("only By.id, cssSelector, tagName, className, name and xpath: " + by);
        }
        By.Remotable.Parameters parameters = remotable.getRemoteParameters();
        String using = parameters.using();
        String value = String.valueOf(parameters.value());
        if (!List.of("css selector", "xpath", "id", "class name", "name", "tag name").contains(using)) {
            throw new UnsupportedOperationException("finding elements by " + using + " (" + by + ")");
        }
        List<Object> args = new ArrayList<>();
        args.add(root);
        args.add(using);
        args.add(value);
        Object found = fromJson(call("return registry.find(args[0] || document, args[1], args[2]);", args));
        List<WebElement> elements = new ArrayList<>();
        for (Object item : (List<?>) found) {
            elements.add((WebElement) item);
        }
        return elements;
    }

    private void waitForLoad(Runnable navigation) {
        CompletableFuture<JsonObject> loaded = connection.nextEvent(sessionId, "Page.loadEventFired");
        navigation.run();
        try {
            loaded.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WebDriverException("interrupted while a page loaded", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new WebDriverException("the page did not load within " + COMMAND_TIMEOUT.toSeconds() + " s", e);
        }
    }

    private void applyViewport() {
        JsonObject params = new JsonObject();
        params.addProperty("width", viewport.getWidth());
        params.addProperty("height", viewport.getHeight());
        params.addProperty("deviceScaleFactor", 1);
        params.addProperty("mobile", false);
        send("Emulation.setDeviceMetricsOverride", params);
    }

    private void mouse(String type, double x, double y, int clickCount) {
        JsonObject params = object("type", type);
        params.addProperty("x", x);
        params.addProperty("y", y);
        params.addProperty("button", type.equals("mouseMoved") ? "none" : "left");
        params.addProperty("buttons", type.equals("mousePressed") ? 1 : 0);
        params.addProperty("clickCount", clickCount);
        send("Input.dispatchMouseEvent", params);
    }

    private static JsonObject object(String key, String value) {
        JsonObject object = new JsonObject();
        object.addProperty(key, value);
        return object;
    }

    // ------------------------------------------------------------------ WebDriver

    @Override
    public void get(String url) {
        waitForLoad(() -> send("Page.navigate", object("url", url)));
    }

    @Override
    public String getCurrentUrl() {
        return (String) executeScript("return location.href;");
    }

    @Override
    public String getTitle() {
        return (String) executeScript("return document.title;");
    }

    @Override
    public List<WebElement> findElements(By by) {
        return find(null, by);
    }

    @Override
    public WebElement findElement(By by) {
        List<WebElement> found = findElements(by);
        if (found.isEmpty()) {
            throw new NoSuchElementException("no element " + by);
        }
        return found.get(0);
    }

    @Override
    public String getPageSource() {
        return (String) executeScript("return document.documentElement.outerHTML;");
    }

    @Override
    public void close() {
        quit();
    }

    @Override
    public void quit() {
        try {
            connection.send(null, "Browser.close", new JsonObject());
        } catch (RuntimeException e) {
            // The browser may already be gone; it is stopped below either way.
        }
        connection.close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // A leftover log in the temporary directory is harmless.
        }
    }

    @Override
    public Set<String> getWindowHandles() {
        return Set.of(getWindowHandle());
    }

    @Override
    public String getWindowHandle() {
        return sessionId;
    }

    @Override
    public TargetLocator switchTo() {
        throw new UnsupportedOperationException("frames and windows");
    }

    @Override
    public Navigation navigate() {
        return new Navigation() {
            @Override
            public void back() {
                throw new UnsupportedOperationException("history");
            }

            @Override
            public void forward() {
                throw new UnsupportedOperationException("history");
            }

            @Override
            public void to(String url) {
                get(url);
            }

            @Override
            public void to(URL url) {
                get(url.toString());
            }

            @Override
            public void refresh() {
                waitForLoad(() -> send("Page.reload", new JsonObject()));
            }
        };
    }

    @Override
    public Options manage() {
        return new Options() {
            @Override
            public void addCookie(Cookie cookie) {
                throw new UnsupportedOperationException("cookies");
            }

            @Override
            public void deleteCookieNamed(String name) {
                throw new UnsupportedOperationException("cookies");
            }

            @Override
            public void deleteCookie(Cookie cookie) {
                throw new UnsupportedOperationException("cookies");
            }

            @Override
            public void deleteAllCookies() {
                throw new UnsupportedOperationException("cookies");
            }

            @Override
            public Set<Cookie> getCookies() {
                throw new UnsupportedOperationException("cookies");
            }

            @Override
            public Cookie getCookieNamed(String name) {
                throw new UnsupportedOperationException("cookies");
            }

            @Override
            public Timeouts timeouts() {
                // Page loads and commands have their own generous limits; waiting is WebDriverWait's job.
                return new Timeouts() {
                    @Override
                    public Timeouts implicitlyWait(Duration duration) {
                        return this;
                    }

                    @Override
                    public Timeouts scriptTimeout(Duration duration) {
                        return this;
                    }

                    @Override
                    public Timeouts pageLoadTimeout(Duration duration) {
                        return this;
                    }
                };
            }

            @Override
            public Window window() {
                return new Window() {
                    @Override
                    public Dimension getSize() {
                        return viewport;
                    }

                    @Override
                    public void setSize(Dimension size) {
                        viewport = size;
                        applyViewport();
                    }

                    @Override
                    public Point getPosition() {
                        return new Point(0, 0);
                    }

                    @Override
                    public void setPosition(Point position) {
                        throw new UnsupportedOperationException("a headless window has no position");
                    }

                    @Override
                    public void maximize() {
                        throw new UnsupportedOperationException("maximize; set a size instead");
                    }

                    @Override
                    public void minimize() {
                        throw new UnsupportedOperationException("minimize");
                    }

                    @Override
                    public void fullscreen() {
                        throw new UnsupportedOperationException("fullscreen");
                    }
                };
            }

            @Override
            public Logs logs() {
                return new Logs() {
                    @Override
                    public LogEntries get(String logType) {
                        if (!logType.equals(LogType.BROWSER)) {
                            throw new UnsupportedOperationException("only the browser log, not " + logType);
                        }
                        return takeConsole();
                    }

                    @Override
                    public Set<String> getAvailableLogTypes() {
                        return Set.of(LogType.BROWSER);
                    }
                };
            }
        };
    }

    // ------------------------------------------------------------------ JavascriptExecutor, TakesScreenshot

    @Override
    public Object executeScript(String script, Object... args) {
        return fromJson(call(script, List.of(args)));
    }

    @Override
    public Object executeAsyncScript(String script, Object... args) {
        List<Object> all = new ArrayList<>(List.of(args));
        return fromJson(call("return await new Promise((resolve) => { const callback = resolve;"
                + " (function() {" + script + "}).apply(null, [...args, callback]); });", all));
    }

    @Override
    public <X> X getScreenshotAs(OutputType<X> target) {
        JsonObject params = object("format", "png");
        return target.convertFromBase64Png(send("Page.captureScreenshot", params).get("data").getAsString());
    }

    // ------------------------------------------------------------------ elements

    /**
     * Whether the element {@code el} is shown, as a script expression: by its own box, or for an
     * option (which a closed list does not render) by its select's, as chromedriver decides.
     */
    private static final String SHOWN = "(el.closest('select') ?? el).checkVisibility("
            + "{opacityProperty: true, visibilityProperty: true})";

    /** An element of the page, by its reference in the page's registry. */
    private final class Element implements WebElement {
        private final String ref;

        Element(String ref) {
            this.ref = ref;
        }

        private Object run(String body, Object... more) {
            List<Object> args = new ArrayList<>();
            args.add(this);
            args.addAll(List.of(more));
            return fromJson(call("const el = args[0];" + body, args));
        }

        @Override
        public void click() {
            if (getTagName().equals("option")) {
                // As chromedriver does: an option is chosen in its select, not clicked on screen.
                run("const select = el.closest('select'); if (select && select.multiple) { el.selected = !el.selected; }"
                        + " else { el.selected = true; }"
                        + " if (select) { select.dispatchEvent(new Event('input', {bubbles: true}));"
                        + " select.dispatchEvent(new Event('change', {bubbles: true})); }");
                return;
            }
            // The page may still be laying out (a chart drawn at the next frame, an event that just
            // arrived): aim only once the element's box has stayed put for two frames, as a person
            // would, and then check that the press reached it.
            @SuppressWarnings("unchecked")
            Map<String, Object> centre = (Map<String, Object>) run(
                    "el.scrollIntoView({block: 'center', inline: 'center'});"
                    + " const frame = () => new Promise(done => { requestAnimationFrame(() => done()); setTimeout(done, 200); });"
                    + " let r = el.getBoundingClientRect(), still = 0;"
                    + " for (let frames = 0; still < 2 && frames < 60; frames++) {"
                    + "   await frame(); const now = el.getBoundingClientRect();"
                    + "   still = now.left === r.left && now.top === r.top && now.width === r.width && now.height === r.height"
                    + "       ? still + 1 : 0;"
                    + "   r = now; }"
                    + " if (r.width === 0 && r.height === 0) { return null; }"
                    + " const x = r.left + r.width / 2, y = r.top + r.height / 2;"
                    + " const reaches = t => t === el || el.contains(t) || (t !== null && t.closest('label') !== null"
                    + "     && t.closest('label').control === el);"
                    + " const hit = document.elementFromPoint(x, y);"
                    + " window.__microgptPress = 'none';"
                    + " addEventListener('mousedown', e => { window.__microgptPress = reaches(e.target) ? 'reached'"
                    + "     : e.target.outerHTML.slice(0, 120) + ', with the element now at '"
                    + "     + JSON.stringify(el.getBoundingClientRect()); }, {capture: true, once: true});"
                    + " return {x: x, y: y, hits: reaches(hit), still: still >= 2, other: hit ? hit.outerHTML.slice(0, 120) : ''};");
            if (centre == null) {
                throw new ElementNotInteractableException("the element has no size: " + this);
            }
            if (!Boolean.TRUE.equals(centre.get("hits"))) {
                throw new ElementNotInteractableException("another element would receive the click: " + centre.get("other"));
            }
            double x = ((Number) centre.get("x")).doubleValue();
            double y = ((Number) centre.get("y")).doubleValue();
            mouse("mouseMoved", x, y, 0);
            mouse("mousePressed", x, y, 1);
            mouse("mouseReleased", x, y, 1);
            // Nothing heard (a disabled control, a page that the click replaced) is no evidence of a miss.
            Object press = executeScript("return window.__microgptPress;");
            if (press instanceof String where && !where.equals("reached") && !where.equals("none")) {
                throw new ElementClickInterceptedException("the click at " + Math.round(x) + "," + Math.round(y)
                        + " missed " + this + (Boolean.TRUE.equals(centre.get("still")) ? "" : ", which never stood still")
                        + ": the page moved it between aim and press; the press reached " + where);
            }
        }

        @Override
        public void submit() {
            run("(el.form || el).requestSubmit ? (el.form || el).requestSubmit() : (el.form || el).submit();");
        }

        @Override
        public void sendKeys(CharSequence... keys) {
            StringBuilder text = new StringBuilder();
            for (CharSequence key : keys) {
                text.append(key);
            }
            if ("file".equals(run("return el.tagName === 'INPUT' ? el.type : '';"))) {
                setFiles(text.toString());
                return;
            }
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) >= '\uE000' && text.charAt(i) <= '\uF8FF') {
                    throw new UnsupportedOperationException("special keys (Keys.*) are not supported without chromedriver");
                }
            }
            run("el.focus(); try { const n = el.value.length; el.setSelectionRange(n, n); } catch (e) { }");
            send("Input.insertText", object("text", text.toString()));
        }

        private void setFiles(String paths) {
            JsonObject params = new JsonObject();
            JsonArray files = new JsonArray();
            for (String path : paths.split("\n")) {
                files.add(path);
            }
            params.add("files", files);
            JsonObject evaluate = object("expression", "(" + PAGE_HELPERS + ").get(" + GSON.toJson(ref) + ")");
            JsonObject result = send("Runtime.evaluate", evaluate).getAsJsonObject("result");
            params.addProperty("objectId", result.get("objectId").getAsString());
            send("DOM.setFileInputFiles", params);
        }

        @Override
        public void clear() {
            run("el.focus(); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));"
                    + " el.dispatchEvent(new Event('change', {bubbles: true}));");
        }

        @Override
        public String getTagName() {
            return (String) run("return el.tagName.toLowerCase();");
        }

        @Override
        public String getDomProperty(String name) {
            return (String) run("const v = el[args[1]]; return v === undefined || v === null ? null : String(v);", name);
        }

        @Override
        public String getDomAttribute(String name) {
            return (String) run("return el.getAttribute(args[1]);", name);
        }

        @Override
        public String getAttribute(String name) {
            return (String) run("const v = el[args[1]];"
                    + " if (typeof v === 'boolean') { return v ? 'true' : null; }"
                    + " if (v !== undefined && v !== null && typeof v !== 'object' && typeof v !== 'function') {"
                    + " return String(v); }"
                    + " return el.getAttribute(args[1]);", name);
        }

        @Override
        public boolean isSelected() {
            return Boolean.TRUE.equals(run("return !!(el.selected || el.checked);"));
        }

        @Override
        public boolean isEnabled() {
            return Boolean.TRUE.equals(run("return !el.disabled;"));
        }

        @Override
        public String getText() {
            // An option of a closed list is not rendered; like chromedriver, it is shown when its select is.
            return (String) run("if (!" + SHOWN + ") { return ''; }"
                    + " return (el.innerText ?? el.textContent ?? '').replace(/\\u00a0/g, ' ').replace(/^[ \\t\\n]+|[ \\t\\n]+$/g, '');");
        }

        @Override
        public List<WebElement> findElements(By by) {
            return find(this, by);
        }

        @Override
        public WebElement findElement(By by) {
            List<WebElement> found = findElements(by);
            if (found.isEmpty()) {
                throw new NoSuchElementException("no element " + by + " inside " + this);
            }
            return found.get(0);
        }

        @Override
        public boolean isDisplayed() {
            return Boolean.TRUE.equals(run("return " + SHOWN + ";"));
        }

        @Override
        public Point getLocation() {
            Rectangle rect = getRect();
            return new Point(rect.getX(), rect.getY());
        }

        @Override
        public Dimension getSize() {
            return getRect().getDimension();
        }

        @Override
        public Rectangle getRect() {
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) run("const r = el.getBoundingClientRect();"
                    + " return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};");
            return new Rectangle((int) Math.round(number(r.get("x"))), (int) Math.round(number(r.get("y"))),
                    (int) Math.round(number(r.get("h"))), (int) Math.round(number(r.get("w"))));
        }

        private double number(Object value) {
            return ((Number) value).doubleValue();
        }

        @Override
        public String getCssValue(String property) {
            return (String) run("return getComputedStyle(el).getPropertyValue(args[1]);", property);
        }

        @Override
        public <X> X getScreenshotAs(OutputType<X> target) {
            Rectangle rect = getRect();
            JsonObject clip = new JsonObject();
            clip.addProperty("x", rect.getX());
            clip.addProperty("y", rect.getY());
            clip.addProperty("width", rect.getWidth());
            clip.addProperty("height", rect.getHeight());
            clip.addProperty("scale", 1);
            JsonObject params = object("format", "png");
            params.add("clip", clip);
            params.addProperty("captureBeyondViewport", true);
            return target.convertFromBase64Png(send("Page.captureScreenshot", params).get("data").getAsString());
        }

        @Override
        public String toString() {
            return "element " + ref;
        }
    }

    // ------------------------------------------------------------------ the WebSocket

    /** One WebSocket to the browser: commands with ids and their answers, and events by name. */
    private static final class Connection implements WebSocket.Listener {
        private final AtomicInteger nextId = new AtomicInteger(1);
        private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
        private final Map<String, List<CompletableFuture<JsonObject>>> waiting = new ConcurrentHashMap<>();
        private final Map<String, Consumer<JsonObject>> listeners = new ConcurrentHashMap<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;
        private volatile boolean closed;

        static Connection open(URI endpoint) {
            Connection connection = new Connection();
            connection.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(endpoint, connection)
                    .join();
            return connection;
        }

        JsonObject send(String sessionId, String method, JsonObject params) {
            if (closed) {
                throw new WebDriverException("the browser connection is closed (" + method + ")");
            }
            int id = nextId.getAndIncrement();
            JsonObject message = new JsonObject();
            message.addProperty("id", id);
            message.addProperty("method", method);
            message.add("params", params);
            if (sessionId != null) {
                message.addProperty("sessionId", sessionId);
            }
            CompletableFuture<JsonObject> answer = new CompletableFuture<>();
            pending.put(id, answer);
            synchronized (this) {
                socket.sendText(message.toString(), true).join();
            }
            try {
                JsonObject response = answer.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                if (response.has("error")) {
                    throw new WebDriverException(method + ": " + response.getAsJsonObject("error").get("message").getAsString());
                }
                return response.has("result") ? response.getAsJsonObject("result") : new JsonObject();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WebDriverException("interrupted during " + method, e);
            } catch (ExecutionException e) {
                throw new WebDriverException(method + " failed: " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new WebDriverException(method + " got no answer within " + COMMAND_TIMEOUT.toSeconds() + " s", e);
            } finally {
                pending.remove(id);
            }
        }

        /** The next event of this name on this session, from now on. */
        CompletableFuture<JsonObject> nextEvent(String sessionId, String method) {
            CompletableFuture<JsonObject> event = new CompletableFuture<>();
            waiting.computeIfAbsent(sessionId + " " + method, key -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add(event);
            return event;
        }

        /** Hands every event of this name on this session to {@code listener}, on the socket's thread. */
        void listen(String sessionId, String method, Consumer<JsonObject> listener) {
            listeners.put(sessionId + " " + method, listener);
        }

        void close() {
            closed = true;
            socket.abort();
            WebDriverException gone = new WebDriverException("the browser connection closed");
            pending.values().forEach(answer -> answer.completeExceptionally(gone));
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                JsonObject message = JsonParser.parseString(partial.toString()).getAsJsonObject();
                partial.setLength(0);
                if (message.has("id")) {
                    CompletableFuture<JsonObject> answer = pending.get(message.get("id").getAsInt());
                    if (answer != null) {
                        answer.complete(message);
                    }
                } else if (message.has("method")) {
                    String session = message.has("sessionId") ? message.get("sessionId").getAsString() : null;
                    String key = session + " " + message.get("method").getAsString();
                    List<CompletableFuture<JsonObject>> events = waiting.remove(key);
                    if (events != null) {
                        events.forEach(event -> event.complete(message));
                    }
                    Consumer<JsonObject> listener = listeners.get(key);
                    if (listener != null) {
                        try {
                            listener.accept(message.has("params") ? message.getAsJsonObject("params") : new JsonObject());
                        } catch (RuntimeException e) {
                            // A message of an unexpected shape must not stop the answers to commands.
                            System.err.println("[browser tests] could not read " + key + ": " + e);
                        }
                    }
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed = true;
            WebDriverException gone = new WebDriverException("the browser closed the connection: " + reason);
            pending.values().forEach(answer -> answer.completeExceptionally(gone));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed = true;
            pending.values().forEach(answer -> answer.completeExceptionally(error));
        }
    }
}
