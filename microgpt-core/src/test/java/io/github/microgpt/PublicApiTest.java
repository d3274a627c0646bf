package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.microgpt.autograd.Value;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API of microgpt-core, written down: {@code api/microgpt-core.api} lists every public
 * type of the exported packages with its public and protected members, one line each (as
 * Kotlin's binary-compatibility validator does). This test lists the compiled classes the same
 * way and fails when the two differ, so that no change to the API goes unnoticed in review. The
 * build runs it at {@code verify} (the {@code api-check} execution of microgpt-core's pom), even
 * with {@code -DskipTests}. After an intended change, rewrite the listing and commit it with the
 * change:
 *
 * <pre>
 * ./mvnw -pl microgpt-core test -Dtest=PublicApiTest -Dmicrogpt.api.update=true
 * </pre>
 *
 * <p>The packages are those {@code module-info} exports; {@code io.github.microgpt.internal} is
 * not among them, so it is not API. Before a release japicmp also compares the jar with the last
 * published one ({@code -P release}).
 */
class PublicApiTest {

    /** The system property that makes the test rewrite the listing instead of comparing. */
    static final String UPDATE = "microgpt.api.update";

    private static final String HOW_TO_UPDATE = "If the change is intended, rewrite the listing with\n"
            + "    ./mvnw -pl microgpt-core test -Dtest=PublicApiTest -D" + UPDATE + "=true\n"
            + "and commit microgpt-core/api/microgpt-core.api with the change.";

    @Test
    void thePublicApiIsTheOneWrittenDown() throws IOException {
        Path classes = classesDirectory();
        List<String> actual = listing(classes);
        Path file = listingFile(classes);
        if (Boolean.getBoolean(UPDATE)) {
            Files.createDirectories(file.getParent());
            Files.write(file, actual, StandardCharsets.UTF_8);
            System.out.println("wrote the public API listing " + file + " (" + actual.size() + " lines)");
            return;
        }
        if (!Files.exists(file)) {
            fail("there is no listing of the public API at " + file + ".\n" + HOW_TO_UPDATE);
        }
        List<String> expected = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            Set<String> removed = new LinkedHashSet<>(qualified(expected));
            removed.removeAll(qualified(actual));
            Set<String> added = new LinkedHashSet<>(qualified(actual));
            added.removeAll(qualified(expected));
            StringBuilder message = new StringBuilder("the public API of microgpt-core differs from ")
                    .append(file).append(":\n");
            removed.forEach(line -> message.append("  - ").append(line).append('\n'));
            added.forEach(line -> message.append("  + ").append(line).append('\n'));
            if (removed.isEmpty() && added.isEmpty()) {
                message.append("  (the same lines in another order)\n");
            }
            fail(message.append(HOW_TO_UPDATE).toString());
        }
    }

    @Test
    void theListingLeavesOutTheInternalPackageAndPrivateMembers() throws IOException {
        List<String> listing = listing(classesDirectory());
        assertFalse(listing.isEmpty());
        assertTrue(listing.stream().noneMatch(line -> line.contains("io.github.microgpt.internal")),
                "the internal package is not API");
        assertTrue(listing.stream().noneMatch(line -> line.contains("private ")), "private members are not API");
        assertTrue(listing.contains("public final class io.github.microgpt.autograd.Value {"), "a public class");
        assertTrue(listing.contains("\tpublic io.github.microgpt.autograd.Value add(io.github.microgpt.autograd.Value)"),
                "a public method");
        assertTrue(listing.contains("public static interface io.github.microgpt.model.LanguageModel$Sequence {"),
                "a nested public type");
        assertTrue(listing.stream().noneMatch(line -> line.contains("ReadOnlyParameters")),
                "a package-private class is not API");
    }

    /**
     * The lines of a listing as they are reported: a member line prefixed with the name of its
     * type, so that a difference says where it is.
     */
    private static List<String> qualified(List<String> listing) {
        List<String> lines = new ArrayList<>();
        String type = "";
        for (String line : listing) {
            if (line.startsWith("\t")) {
                lines.add(type + ": " + line.strip());
            } else if (line.endsWith(" {")) {
                String header = line.substring(0, line.length() - 2);
                type = header.split(" (extends|implements) ")[0];
                type = type.substring(type.lastIndexOf(' ') + 1);
                lines.add(header);
            }
        }
        return lines;
    }

    /** The listing of the compiled classes, type by type in name order, members in name order. */
    static List<String> listing(Path classes) throws IOException {
        ModuleDescriptor module;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        List<Class<?>> types = new ArrayList<>();
        for (ModuleDescriptor.Exports exports : module.exports()) {
            if (exports.isQualified()) {
                continue;  // exported to named modules only: not public API
            }
            Path dir = classes.resolve(exports.source().replace('.', '/'));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".class") && !name.equals("package-info.class")) {
                        Class<?> type = load(exports.source() + "." + name.substring(0, name.length() - 6));
                        if (isApi(type)) {
                            types.add(type);
                        }
                    }
                }
            }
        }
        types.sort(Comparator.comparing(Class::getName));
        List<String> lines = new ArrayList<>();
        for (Class<?> type : types) {
            if (!lines.isEmpty()) {
                lines.add("");
            }
            lines.add(header(type) + " {");
            lines.addAll(members(type).stream().map(line -> "\t" + line).collect(Collectors.toList()));
            lines.add("}");
        }
        return lines;
    }

    /** A type users can see: public, or protected inside such a type, all the way out. */
    private static boolean isApi(Class<?> type) {
        if (type.isAnonymousClass() || type.isLocalClass() || type.isSynthetic()) {
            return false;
        }
        for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
            int modifiers = t.getModifiers();
            boolean visible = Modifier.isPublic(modifiers)
                    || (t.getDeclaringClass() != null && Modifier.isProtected(modifiers));
            if (!visible) {
                return false;
            }
        }
        return true;
    }

    private static String header(Class<?> type) {
        int modifiers = type.getModifiers() & Modifier.classModifiers();
        String kind;
        if (type.isAnnotation()) {
            kind = "@interface";
        } else if (type.isInterface()) {
            kind = "interface";
            modifiers &= ~Modifier.ABSTRACT;
        } else if (type.isEnum()) {
            kind = "enum";
            modifiers &= ~(Modifier.FINAL | Modifier.ABSTRACT);
        } else if (type.isRecord()) {
            kind = "record";
        } else {
            kind = "class";
        }
        StringBuilder header = new StringBuilder(join(Modifier.toString(modifiers), kind, type.getName()));
        header.append(typeParameters(type.getTypeParameters()));
        Type superclass = type.getGenericSuperclass();
        if (superclass != null && superclass != Object.class && !type.isEnum() && !type.isRecord()) {
            header.append(" extends ").append(superclass.getTypeName());
        }
        Type[] interfaces = type.getGenericInterfaces();
        if (interfaces.length > 0) {
            header.append(type.isInterface() ? " extends " : " implements ")
                    .append(Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        return header.toString();
    }

    private static Set<String> members(Class<?> type) {
        Set<String> members = new TreeSet<>();
        for (Field field : type.getDeclaredFields()) {
            if (visible(field.getModifiers()) && !field.isSynthetic()) {
                members.add(join(Modifier.toString(field.getModifiers() & Modifier.fieldModifiers()),
                        field.getGenericType().getTypeName(), field.getName()));
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (visible(constructor.getModifiers()) && !constructor.isSynthetic()) {
                members.add(join(Modifier.toString(constructor.getModifiers() & Modifier.constructorModifiers()),
                        typeParameters(constructor.getTypeParameters()), type.getSimpleName() + parameters(constructor)));
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            if (visible(method.getModifiers()) && !method.isSynthetic() && !method.isBridge()) {
                int modifiers = method.getModifiers() & Modifier.methodModifiers();
                if (type.isInterface()) {
                    modifiers &= ~Modifier.ABSTRACT;
                }
                members.add(join(Modifier.toString(modifiers), method.isDefault() ? "default" : "",
                        typeParameters(method.getTypeParameters()), method.getGenericReturnType().getTypeName(),
                        method.getName() + parameters(method)));
            }
        }
        return members;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String parameters(Executable executable) {
        return Arrays.stream(executable.getGenericParameterTypes()).map(Type::getTypeName)
                .collect(Collectors.joining(", ", "(", ")"));
    }

    private static String typeParameters(TypeVariable<?>[] variables) {
        if (variables.length == 0) {
            return "";
        }
        return Arrays.stream(variables).map(v -> {
            String bounds = Arrays.stream(v.getBounds()).filter(b -> b != Object.class).map(Type::getTypeName)
                    .collect(Collectors.joining(" & "));
            return bounds.isEmpty() ? v.getName() : v.getName() + " extends " + bounds;
        }).collect(Collectors.joining(", ", "<", ">"));
    }

    private static String join(String... parts) {
        return Arrays.stream(parts).filter(p -> !p.isEmpty()).collect(Collectors.joining(" "));
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, PublicApiTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("cannot load " + name, e);
        }
    }

    /** {@code target/classes} of microgpt-core, where {@link Value} was loaded from. */
    private static Path classesDirectory() {
        try {
            Path path = Path.of(Value.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isDirectory(path)) {
                throw new IllegalStateException("microgpt-core's classes come from " + path
                        + ", not from a directory: run this test from the microgpt-core build");
            }
            return path;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code microgpt-core/api/microgpt-core.api}: beside {@code target/} of the module. */
    private static Path listingFile(Path classes) {
        return classes.getParent().getParent().resolve("api").resolve("microgpt-core.api");
    }
}
