package io.failback.controller.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import io.failback.certs.KeyRequest;
import io.failback.proto.v1.CreateEnrollmentTokenRequest;
import io.failback.proto.v1.CreateEnrollmentTokenResponse;
import io.failback.proto.v1.RenewCertificateRequest;
import java.io.IOException;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** enroll-token (a host's one-time enrollment token) and renew-cert (the operator's own). */
final class CertificateCommands {
  private CertificateCommands() {}

  @Command(name = "enroll-token", mixinStandardHelpOptions = true,
      description = "Create a one-time token that enrolls the agent of HOST"
          + " (failback-agent enroll --token ...).")
  static final class EnrollToken extends InventoryCommands.InventoryCommand {
    @Parameters(paramLabel = "HOST", description = "The host the token enrolls.")
    String hostName;

    @Option(names = "--ttl", defaultValue = "PT1H",
        description = "How long the token is valid, ISO-8601 (default: ${DEFAULT-VALUE};"
            + " at most P7D).")
    Duration ttl;

    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      try (OperatorClient client = parent.connection.connect()) {
        CreateEnrollmentTokenResponse token = client.certificates().createEnrollmentToken(
            CreateEnrollmentTokenRequest.newBuilder().setHostName(hostName)
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(ttl.getSeconds()))
                .build());
        if (structured) {
          printStructured(token);
          return 0;
        }
        out().printf("%s%n(one use, for host %s, valid until %s; shown only now)%n",
            token.getToken(), token.getHostName(), Timestamps.toString(token.getExpiresAt()));
        out().flush();
        return 0;
      }
    }
  }

  @Command(name = "renew-cert", mixinStandardHelpOptions = true,
      description = "Renew this operator's certificate: a new key is made here and the --cert"
          + " and --key files are replaced.")
  static final class RenewCert extends InventoryCommands.InventoryCommand {
    @Override
    public Integer call() throws IOException {
      boolean structured = structured();
      ConnectionOptions connection = parent.connection;
      KeyRequest request = KeyRequest.generate("failback-operator");
      var response = connectAndRenew(request);
      request.writeWithCertificate(connection.key, connection.cert, response.getCertificatePem());
      respond(structured, response, String.format("renewed: %s and %s replaced", connection.cert,
          connection.key));
      return 0;
    }

    private io.failback.proto.v1.RenewCertificateResponse connectAndRenew(KeyRequest request)
        throws IOException {
      try (OperatorClient client = parent.connection.connect()) {
        return client.certificates().renewCertificate(RenewCertificateRequest.newBuilder()
            .setCsrDer(ByteString.copyFrom(request.csr().getEncoded())).build());
      }
    }
  }
}
