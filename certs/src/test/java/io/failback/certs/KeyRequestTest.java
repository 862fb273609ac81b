package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRequestTest {
  @TempDir Path dir;

  @Test
  void keyFileIsPkcs8PemReadableByItsOwnerOnly() throws Exception {
    KeyRequest request = KeyRequest.generate("hv01");
    Path keyFile = dir.resolve("sub/hv01.key");
    request.writeKey(keyFile);

    String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
    assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), pem);
    assertArrayEquals(
        request.keyPair().getPrivate().getEncoded(), Pem.readPrivateKey(keyFile).getEncoded());
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
  }

  @Test
  void rewrittenKeyFileKeepsOwnerOnlyPermissions() throws Exception {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Path keyFile = dir.resolve("hv01.key");
    Files.writeString(keyFile, "old");
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
    KeyRequest.generate("hv01").writeKey(keyFile);
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
  }

  @Test
  void csrRoundTripsThroughPem() throws Exception {
    KeyRequest request = KeyRequest.generate("hv01");
    Path csrFile = dir.resolve("hv01.csr");
    request.writeCsr(csrFile);

    assertTrue(Files.readString(csrFile).startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
    PKCS10CertificationRequest read = KeyRequest.readCsr(csrFile);
    assertArrayEquals(request.csr().getEncoded(), read.getEncoded());
    assertEquals("CN=hv01", read.getSubject().toString());
    assertArrayEquals(
        request.keyPair().getPublic().getEncoded(), read.getSubjectPublicKeyInfo().getEncoded());
  }

  @Test
  void readCsrRefusesFilesWithoutARequest() throws Exception {
    Path keyFile = dir.resolve("hv01.key");
    KeyRequest.generate("hv01").writeKey(keyFile);
    IOException e = assertThrows(IOException.class, () -> KeyRequest.readCsr(keyFile));
    assertTrue(e.getMessage().contains("holds no PEM certificate request"), e.getMessage());
  }

  @Test
  void commonNameMustBePresent() {
    IdentitiesTest.assertMessage("common name", () -> KeyRequest.generate(" "));
  }
}
