package io.github.microgpt.consumer.classpath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void theCoreArtifactCarriesItsLicense() throws IOException, URISyntaxException {
        // The MIT license asks that its notice go with every copy: a jar taken from Maven Central
        // alone has it in META-INF/LICENSE.
        Path core = Path.of(Value.class.getProtectionDomain().getCodeSource().getLocation().toURI());
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
}
