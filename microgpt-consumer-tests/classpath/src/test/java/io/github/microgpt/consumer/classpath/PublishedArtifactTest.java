package io.github.microgpt.consumer.classpath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.github.microgpt.autograd.Value;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * What Maven Central shows of microgpt-core and what its jar carries, seen from a module that
 * inherits the parent POM as microgpt-core does.
 */
class PublishedArtifactTest {

    private static final String HOME = "https://github.com/microgpt/microgpt-java";

    @Test
    void modulesInheritTheProjectsUrlAndScmWithoutTheirArtifactIdAppended() {
        // Maven appends each module's artifactId to an inherited url and scm unless the parent says
        // not to; Central would then link to HOME/microgpt-core, which does not exist.
        assertEquals(HOME, System.getProperty("microgpt.pom.url"));
        assertEquals(HOME, System.getProperty("microgpt.pom.scm.url"));
        assertEquals("scm:git:" + HOME + ".git", System.getProperty("microgpt.pom.scm.connection"));
        assertEquals("scm:git:git@github.com:microgpt/microgpt-java.git",
                System.getProperty("microgpt.pom.scm.developerConnection"));
    }

    @Test
    void thePomNamesAContactAndWhereToReportProblems() {
        // Maven Central and IDEs show these with the artifact: a user with a bug or a security
        // report needs somewhere to send it, and the developers element alone named no one.
        assertEquals("https://github.com/microgpt", System.getProperty("microgpt.pom.developer.url"));
        assertEquals(HOME + "/issues", System.getProperty("microgpt.pom.issues.url"));
        assertEquals("The microgpt for Java developers", System.getProperty("microgpt.pom.organization.name"));
    }

    @Test
    void theCoreJarNamesItsTitleVersionAndVendor() throws IOException, URISyntaxException {
        // A program can then log which microgpt it runs; on the class path Java reads the
        // version from the jar's manifest (on the module path, from module-info).
        Path core = coreLocation();
        assumeFalse(Files.isDirectory(core),
                "microgpt-core is " + core + ", not its jar: a reactor build stopped before package");
        String version = System.getProperty("microgpt.pom.version");
        try (JarFile jar = new JarFile(core.toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("microgpt core", main.getValue("Implementation-Title"), core.toString());
            assertEquals(version, main.getValue("Implementation-Version"), core.toString());
            assertEquals(System.getProperty("microgpt.pom.organization.name"),
                    main.getValue("Implementation-Vendor"), core.toString());
        }
        assertEquals(version, Value.class.getPackage().getImplementationVersion());
    }

    @Test
    void theCoreArtifactCarriesItsLicense() throws IOException, URISyntaxException {
        // The MIT license asks that its notice go with every copy: a jar taken from Maven Central
        // alone has it in META-INF/LICENSE.
        Path core = coreLocation();
        String license;
        if (Files.isDirectory(core)) { // a reactor build before package: target/classes
            license = Files.readString(core.resolve("META-INF/LICENSE"), StandardCharsets.UTF_8);
        } else {
            try (JarFile jar = new JarFile(core.toFile())) {
                var entry = jar.getJarEntry("META-INF/LICENSE");
                assertNotNull(entry, core + " has no META-INF/LICENSE");
                try (InputStream in = jar.getInputStream(entry)) {
                    license = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        assertTrue(license.startsWith("MIT License"), license);
        assertTrue(license.contains("Permission is hereby granted"), license);
    }

    /** microgpt-core's jar, or its target/classes in a reactor build that stopped before package. */
    private static Path coreLocation() throws URISyntaxException {
        return Path.of(Value.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
