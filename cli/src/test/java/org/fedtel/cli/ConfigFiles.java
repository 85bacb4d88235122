package org.fedtel.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;

/** The coordinator configuration the command-level tests share: 2-metric sites, a small autoencoder. */
final class ConfigFiles {
  private ConfigFiles() {}

  /**
   * Writes {@code dir/coordinator.toml}.
   *
   * @param sites the {@code sites} array's contents (quoted certificate paths)
   * @param dashboard {@code dashboard.listen} ("off" or an address)
   */
  static Path coordinator(Path dir, int port, String sites, String dashboard, int rounds, int minParticipants,
                          int phaseTimeoutSeconds, String privacyMode) throws IOException {
    return coordinator(dir, port, sites, dashboard, rounds, minParticipants, phaseTimeoutSeconds, privacyMode, false);
  }

  /**
   * The same, choosing whether the federated statistics rounds run (they add three rounds: feature
   * means and deviations before training, the score histogram after it).
   */
  static Path coordinator(Path dir, int port, String sites, String dashboard, int rounds, int minParticipants,
                          int phaseTimeoutSeconds, String privacyMode, boolean statistics) throws IOException {
    int inputs = new WindowSpec(12, 6, FeatureMode.STATISTICS).featureCount(2);
    Path file = dir.resolve("coordinator.toml");
    Files.writeString(file, """
        credentials = "ca/coordinator"
        listen = "127.0.0.1:%d"
        data_dir = "coord"
        consortium = "test"
        sites = [%s]
        [dashboard]
        listen = "%s"
        [model]
        inputs = %d
        hidden = [8, 2, 8]
        [rounds]
        count = %d
        min_participants = %d
        phase_timeout_seconds = %d
        [privacy]
        mode = "%s"
        noise_multiplier = 0.5
        [statistics]
        enabled = %s
        """.formatted(port, sites, dashboard, inputs, rounds, minParticipants, phaseTimeoutSeconds, privacyMode, statistics));
    return file;
  }

  /**
   * Writes {@code dir/site-i.toml} for site-i (data {@code site-i.csv}, credentials from {@code ca/}).
   *
   * @param peers the {@code peers} array's contents, or null for none (keys from relayed certificates)
   * @param stopAfterRound 0 to run until stopped
   * @param extra appended as is (e.g. a {@code [live]} table), or ""
   */
  static Path site(Path dir, int i, int port, String peers, long stopAfterRound, String extra) throws IOException {
    Path file = dir.resolve("site-" + i + ".toml");
    Files.writeString(file, """
        credentials = "ca/sites/site-%d"
        coordinator = "127.0.0.1:%d"
        coordinator_certificate = "ca/coordinator/cert.pem"
        consortium = "test"
        %sdata = "site-%d.csv"
        stop_after_round = %d
        [model]
        hidden = [8, 2, 8]
        [budget]
        epsilon = 100
        """.formatted(i, port, peers == null ? "" : "peers = [" + peers + "]\n", i, stopAfterRound) + extra);
    return file;
  }
}
