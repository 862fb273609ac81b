package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code request}: makes a key and CSR on the machine that will use the key. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "request",
    description = "Make a key (NAME.key) and a CSR (NAME.csr) on the machine that will use them.")
final class RequestCommand extends PkiCommand {
  @Option(
      names = "--name",
      required = true,
      paramLabel = "NAME",
      description = "Host or operator name; also the file name.")
  String name;

  @Option(names = "--out-dir", required = true, paramLabel = "DIR", description = "Where to write.")
  Path outDir;

  @Override
  void run(PrintWriter out) throws IOException {
    String checked = Names.name("--name", name);
    Path keyFile = outDir.resolve(checked + ".key");
    Path csrFile = outDir.resolve(checked + ".csr");
    // A key in use is never overwritten; rotation writes a new key elsewhere first.
    SecureFiles.refuseExisting(keyFile);
    SecureFiles.refuseExisting(csrFile);
    KeyRequest request = KeyRequest.generate(checked);
    request.writeKey(keyFile);
    try {
      request.writeCsr(csrFile);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(keyFile);
      throw e;
    }
    out.println("Private key: " + keyFile + "  (stays on this machine)");
    out.println("Request:     " + csrFile + "  (take it to the CA host and run 'sign')");
    out.println(
        "Key:         "
            + Identities.keyFingerprint(request.keyPair().getPublic().getEncoded())
            + "  (the CA host's 'sign' prints the same)");
  }
}
