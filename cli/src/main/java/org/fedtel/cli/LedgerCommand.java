package org.fedtel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.fedtel.coordinator.dashboard.DashboardServer;
import org.fedtel.coordinator.dashboard.LedgerSource;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.LedgerEntries;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.MerkleProofs;
import org.fedtel.ledger.MerkleTree;
import org.fedtel.ledger.NoteException;
import org.fedtel.ledger.ProofException;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ledger", mixinStandardHelpOptions = true, description = "Audit a ledger directory.",
    subcommands = {LedgerCommand.Verify.class, LedgerCommand.Show.class, LedgerCommand.Budget.class,
        LedgerCommand.Prove.class, LedgerCommand.Consistency.class, LedgerCommand.Serve.class})
final class LedgerCommand {
  /** Exit code when the ledger fails verification (2 stays for bad input). */
  static final int EXIT_VERIFY_FAILED = 3;

  abstract static class OnLedger implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Ledger directory.") Path dir;
    @Spec CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    void requireLedger() {
      if (!Files.isDirectory(dir)) {
        throw new UserException("ledger directory " + dir + " does not exist");
      }
    }

    /** Runs the full audit with a progress bar; a failure names the first failing entry. */
    AuditReport audit(List<Path> trusted) {
      requireLedger();
      List<SignedNote> notes = new ArrayList<>();
      for (Path p : trusted) {
        try {
          notes.add(SignedNote.parse(Files.readAllBytes(p)));
        } catch (IOException e) {
          throw new UserException("cannot read checkpoint " + p + ": " + e.getMessage(), e);
        } catch (NoteException e) {
          throw new UserException("checkpoint " + p + ": " + e.getMessage(), e);
        }
      }
      try (Progress progress = Progress.start("verify", 100)) {
        long[] last = {0};
        return LedgerAudit.verify(dir, notes, (done, total) -> {
          long pct = total == 0 ? 100 : done * 100 / total;
          progress.advance(pct - last[0]);
          last[0] = pct;
        });
      } catch (LedgerException e) {
        throw new UserException("verification failed: " + e.getMessage(), e, EXIT_VERIFY_FAILED);
      } catch (IOException e) {
        throw new UserException("cannot read ledger " + dir + ": " + e.getMessage(), e);
      }
    }

    MerkleTree tree() {
      requireLedger();
      try {
        return LedgerEntries.tree(dir);
      } catch (LedgerException e) {
        throw new UserException("ledger " + dir + ": " + e.getMessage(), e, EXIT_VERIFY_FAILED);
      } catch (IOException e) {
        throw new UserException("cannot read ledger " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Verify chain, Merkle roots, signatures and privacy spend.",
          "Exit 0 only when every check holds; 3 naming the first failing entry otherwise."})
  static final class Verify extends OnLedger {
    @Option(names = "--checkpoint", paramLabel = "FILE",
        description = "A signed checkpoint obtained elsewhere (e.g. from a site); must match this ledger. Repeatable.")
    List<Path> trusted = new ArrayList<>();
    @Option(names = "--json", description = "Print the result as one JSON object.") boolean json;

    @Override
    public Integer call() {
      AuditReport r = audit(trusted);
      if (json) {
        StringBuilder sb = new StringBuilder("{\"ok\":true");
        field(sb, "consortium", r.consortiumId());
        field(sb, "origin", r.origin());
        sb.append(",\"entries\":").append(r.entries());
        field(sb, "root", hex(r.root()));
        sb.append(",\"checkpoints\":").append(r.checkpoints()).append(",\"signed_entries\":").append(r.signedEntries())
            .append(",\"cosignatures\":").append(r.cosignatures())
            .append(",\"signatures\":").append(r.signatures()).append(",\"unprotected_data_uses\":")
            .append(r.unprotectedUses()).append(",\"sites\":");
        budgetsJson(sb, r);
        out().println(sb.append('}'));
        return 0;
      }
      out().printf("OK  ledger %s of consortium '%s' (%s)%n", dir, r.consortiumId(), r.origin());
      out().printf("    %d entries, Merkle root %s%n", r.entries(), hex(r.root()));
      out().printf("    chain, indexes and timestamps: ok%n");
      out().printf("    %d signed checkpoints match the recomputed roots; %d site cosignatures verify%n",
          r.checkpoints(), r.cosignatures());
      out().printf("    %d data-use signatures (site and coordinator) verify%n", r.signatures());
      out().printf("    privacy: every site's cumulative ε recomputed with the RDP accountant equals the recorded"
          + " value (relative tolerance %.0e) and is within its declared budget%n", LedgerAudit.EPSILON_TOLERANCE);
      if (r.unprotectedUses() > 0) {
        out().printf("    WARNING: %d data uses ran with privacy mode NONE (ε = ∞)%n", r.unprotectedUses());
      }
      if (r.checkpoints() == 0) {
        out().printf("    WARNING: no signed checkpoint: no root the coordinator signed binds these entries, so this"
            + " copy cannot be told from a rewritten one (pass one obtained elsewhere with --checkpoint)%n");
      } else if (r.signedEntries() < r.entries()) {
        out().printf("    WARNING: the last %d entries (after the largest signed checkpoint, size %d) are covered by no"
            + " signed root yet%n", r.entries() - r.signedEntries(), r.signedEntries());
      }
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show entries.")
  static final class Show extends OnLedger {
    @Option(names = "--site", description = "Only entries about this site.") String site;
    @Option(names = "--round", description = "Only entries of this round.") Long round;
    @Option(names = "--kind", description = "Only this kind: genesis, site-enrolled, round-started, data-use, "
        + "round-committed, round-aborted, budget-exhausted, model-released.") String kind;
    @Option(names = "--json", description = "Print a JSON array.") boolean json;

    @Override
    public Integer call() {
      requireLedger();
      PrintWriter out = out();
      boolean[] first = {true};
      if (json) {
        out.print("[");
      }
      Optional<String> torn;
      try {
        torn = LedgerEntries.read(dir, (index, e, stored) -> {
          EntryView v = EntryView.of(e);
          if ((kind != null && !kind.equals(v.kind)) || (site != null && !v.sites.contains(site))
              || (round != null && !round.equals(v.round))) {
            return;
          }
          if (json) {
            out.print(first[0] ? "\n" : ",\n");
            out.print(v.json(index, e.getTimestampMillis(), MerkleTree.leafHash(stored)));
          } else {
            out.printf("#%-6d %s  %-16s %s%n", index, Instant.ofEpochMilli(e.getTimestampMillis()), v.kind,
                printable(v.text));
          }
          first[0] = false;
        });
      } catch (LedgerException e) {
        throw new UserException("ledger " + dir + ": " + e.getMessage(), e, EXIT_VERIFY_FAILED);
      } catch (IOException e) {
        throw new UserException("cannot read ledger " + dir + ": " + e.getMessage(), e);
      }
      if (json) {
        out.println("\n]");
      }
      out.flush();
      torn.ifPresent(t -> spec.commandLine().getErr().println("fedtel: warning: incomplete record at the end: " + t));
      return 0;
    }
  }

  @Command(name = "budget", mixinStandardHelpOptions = true,
      description = "Per-site epsilon spent and declared (recomputed; the whole ledger is verified first).")
  static final class Budget extends OnLedger {
    @Option(names = "--json", description = "Print a JSON array.") boolean json;

    @Override
    public Integer call() {
      AuditReport r = audit(List.of());
      if (json) {
        StringBuilder sb = new StringBuilder();
        budgetsJson(sb, r);
        out().println(sb);
        return 0;
      }
      out().printf("%-20s %5s %12s %10s %12s %10s %7s  %s%n", "site", "uses", "spent ε", "δ", "budget ε",
          "budget δ", "used", "flags");
      for (AuditReport.SiteBudget b : r.sites()) {
        String flags = (b.unprotected() ? "NO-DP " : "") + (b.exhausted() ? "EXHAUSTED" : "");
        out().printf(Locale.ROOT, "%-20s %5d %12.6f %10.2e %12.6f %10.2e %6.1f%%  %s%n", b.siteId(), b.dataUses(),
            b.spentEpsilon(), b.delta(), b.budgetEpsilon(), b.budgetDelta(),
            100 * b.spentEpsilon() / b.budgetEpsilon(), flags.strip());
      }
      return 0;
    }
  }

  @Command(name = "prove", mixinStandardHelpOptions = true, description = "Inclusion proof of an entry as JSON.")
  static final class Prove extends OnLedger {
    @Option(names = "--index", required = true, description = "Entry index.") long index;
    @Option(names = "--size", description = "Tree size (default: the whole ledger).") Long size;

    @Override
    public Integer call() {
      MerkleTree t = tree();
      long n = size == null ? t.size() : size;
      if (n < 1 || n > t.size()) {
        throw new UserException("--size must be 1.." + t.size() + ", was " + n);
      }
      if (index < 0 || index >= n) {
        throw new UserException("--index must be 0.." + (n - 1) + ", was " + index);
      }
      List<byte[]> proof = t.inclusionProof(index, n);
      byte[] leaf = leafHash(index);
      try {
        MerkleProofs.verifyInclusion(index, n, leaf, proof, t.root(n));
      } catch (ProofException e) {
        throw new IllegalStateException("own proof does not verify", e);
      }
      StringBuilder sb = new StringBuilder("{\"index\":").append(index).append(",\"size\":").append(n);
      field(sb, "leaf_hash", hex(leaf));
      field(sb, "root", hex(t.root(n)));
      sb.append(",\"proof\":");
      hexArray(sb, proof);
      out().println(sb.append('}'));
      return 0;
    }

    private byte[] leafHash(long i) {
      byte[][] found = new byte[1][];
      try {
        LedgerEntries.read(dir, (idx, e, stored) -> {
          if (idx == i) {
            found[0] = MerkleTree.leafHash(stored);
          }
        });
      } catch (LedgerException | IOException e) {
        throw new UserException("ledger " + dir + ": " + e.getMessage(), e);
      }
      return found[0];
    }
  }

  @Command(name = "consistency", mixinStandardHelpOptions = true,
      description = "Consistency proof between two sizes, as JSON.")
  static final class Consistency extends OnLedger {
    @Option(names = "--from", required = true, description = "Smaller tree size.") long from;
    @Option(names = "--to", description = "Larger tree size (default: the whole ledger).") Long to;

    @Override
    public Integer call() {
      MerkleTree t = tree();
      long n = to == null ? t.size() : to;
      if (n > t.size() || n < 0) {
        throw new UserException("--to must be 0.." + t.size() + ", was " + n);
      }
      if (from < 0 || from > n) {
        throw new UserException("--from must be 0.." + n + ", was " + from);
      }
      List<byte[]> proof = t.consistencyProof(from, n);
      try {
        MerkleProofs.verifyConsistency(from, n, t.root(from), t.root(n), proof);
      } catch (ProofException e) {
        throw new IllegalStateException("own proof does not verify", e);
      }
      StringBuilder sb = new StringBuilder("{\"from\":").append(from).append(",\"to\":").append(n);
      field(sb, "from_root", hex(t.root(from)));
      field(sb, "to_root", hex(t.root(n)));
      sb.append(",\"proof\":");
      hexArray(sb, proof);
      out().println(sb.append('}'));
      return 0;
    }
  }

  /** One entry as the command prints it. */
  private record EntryView(String kind, List<String> sites, Long round, String text, String jsonFields) {
    static EntryView of(Entry e) throws LedgerException {
      StringBuilder j = new StringBuilder();
      switch (e.getKindCase()) {
        case GENESIS -> {
          var g = e.getGenesis();
          field(j, "consortium", g.getConsortiumId());
          field(j, "origin", g.getOrigin());
          field(j, "coordinator_key", hex(g.getCoordinatorKey().toByteArray()));
          field(j, "ca_certificate_sha256", hex(g.getCaCertificateSha256().toByteArray()));
          return new EntryView("genesis", List.of(), null, "consortium=" + g.getConsortiumId() + " origin="
              + g.getOrigin(), j.toString());
        }
        case SITE_ENROLLED -> {
          var s = e.getSiteEnrolled();
          field(j, "site", s.getSiteId());
          field(j, "signing_key", hex(s.getSigningKey().toByteArray()));
          field(j, "certificate_sha256", hex(s.getCertificateSha256().toByteArray()));
          number(j, "budget_epsilon", s.getBudgetEpsilon());
          number(j, "budget_delta", s.getBudgetDelta());
          return new EntryView("site-enrolled", List.of(s.getSiteId()), null, "site=" + s.getSiteId()
              + " budget ε=" + s.getBudgetEpsilon() + " δ=" + s.getBudgetDelta(), j.toString());
        }
        case ROUND_STARTED -> {
          var r = e.getRoundStarted();
          j.append(",\"round\":").append(r.getRound());
          field(j, "config_sha256", hex(r.getConfigSha256().toByteArray()));
          j.append(",\"sampled_sites\":");
          strings(j, r.getSampledSitesList());
          return new EntryView("round-started", r.getSampledSitesList(), r.getRound(), "round=" + r.getRound()
              + " sampled=" + String.join(",", r.getSampledSitesList()), j.toString());
        }
        case DATA_USE -> {
          DataUseBody b;
          try {
            b = DataUseBody.parseFrom(e.getDataUse().getBody());
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new LedgerException("entry " + e.getIndex() + ": data-use body is not valid");
          }
          j.append(",\"round\":").append(b.getRound());
          field(j, "site", b.getSiteId());
          field(j, "dataset_sha256", hex(b.getDatasetSha256().toByteArray()));
          j.append(",\"record_count\":").append(b.getRecordCount());
          field(j, "privacy_mode", b.getPrivacyMode().name().replace("PRIVACY_MODE_", "").toLowerCase(Locale.ROOT));
          number(j, "clip_norm", b.getClipNorm());
          number(j, "noise_multiplier", b.getNoiseMultiplier());
          number(j, "sampling_rate", b.getSamplingRate());
          j.append(",\"steps\":").append(b.getSteps());
          number(j, "delta", b.getDelta());
          field(j, "accountant", b.getAccountant());
          number(j, "round_epsilon", b.getRoundEpsilon());
          number(j, "cumulative_epsilon", b.getCumulativeEpsilon());
          field(j, "site_signature", hex(e.getDataUse().getSiteSignature().toByteArray()));
          field(j, "coordinator_signature", hex(e.getDataUse().getCoordinatorSignature().toByteArray()));
          return new EntryView("data-use", List.of(b.getSiteId()), b.getRound(), String.format(Locale.ROOT,
              "round=%d site=%s records=%d mode=%s q=%g z=%g steps=%d ε_round=%.6f ε_total=%.6f δ=%.1e",
              b.getRound(), b.getSiteId(), b.getRecordCount(),
              b.getPrivacyMode().name().replace("PRIVACY_MODE_", "").toLowerCase(Locale.ROOT), b.getSamplingRate(),
              b.getNoiseMultiplier(), b.getSteps(), b.getRoundEpsilon(), b.getCumulativeEpsilon(), b.getDelta()),
              j.toString());
        }
        case ROUND_COMMITTED -> {
          var c = e.getRoundCommitted();
          j.append(",\"round\":").append(c.getRound()).append(",\"survivors\":");
          strings(j, c.getSurvivorsList());
          j.append(",\"dropped\":");
          strings(j, c.getDroppedList());
          field(j, "aggregate_sha256", hex(c.getAggregateSha256().toByteArray()));
          field(j, "model_sha256", hex(c.getModelSha256().toByteArray()));
          List<String> all = new ArrayList<>(c.getSurvivorsList());
          all.addAll(c.getDroppedList());
          return new EntryView("round-committed", all, c.getRound(), "round=" + c.getRound() + " survivors="
              + c.getSurvivorsCount() + " dropped=" + c.getDroppedCount() + " model="
              + hex(c.getModelSha256().toByteArray()), j.toString());
        }
        case ROUND_ABORTED -> {
          var a = e.getRoundAborted();
          j.append(",\"round\":").append(a.getRound());
          field(j, "reason", a.getReason());
          return new EntryView("round-aborted", List.of(), a.getRound(), "round=" + a.getRound() + " reason="
              + a.getReason(), j.toString());
        }
        case BUDGET_EXHAUSTED -> {
          var b = e.getBudgetExhausted();
          field(j, "site", b.getSiteId());
          number(j, "spent_epsilon", b.getSpentEpsilon());
          number(j, "budget_epsilon", b.getBudgetEpsilon());
          return new EntryView("budget-exhausted", List.of(b.getSiteId()), null, "site=" + b.getSiteId()
              + " spent ε=" + b.getSpentEpsilon() + " of " + b.getBudgetEpsilon(), j.toString());
        }
        case MODEL_RELEASED -> {
          var m = e.getModelReleased();
          j.append(",\"round\":").append(m.getRound());
          field(j, "model_sha256", hex(m.getModelSha256().toByteArray()));
          field(j, "name", m.getName());
          return new EntryView("model-released", List.of(), m.getRound(), "round=" + m.getRound() + " model="
              + hex(m.getModelSha256().toByteArray()) + " name=" + m.getName(), j.toString());
        }
        default -> {
          return new EntryView("unknown", List.of(), null, "(entry of unknown kind)", "");
        }
      }
    }

    String json(long index, long timestamp, byte[] leafHash) {
      StringBuilder sb = new StringBuilder("{\"index\":").append(index);
      field(sb, "timestamp", Instant.ofEpochMilli(timestamp).toString());
      field(sb, "kind", kind);
      field(sb, "leaf_hash", hex(leafHash));
      return sb.append(jsonFields).append('}').toString();
    }
  }

  static void budgetsJson(StringBuilder sb, AuditReport r) {
    sb.append('[');
    boolean first = true;
    for (AuditReport.SiteBudget b : r.sites()) {
      sb.append(first ? "" : ",").append('{');
      first = false;
      sb.append("\"site\":");
      quote(sb, b.siteId());
      sb.append(",\"data_uses\":").append(b.dataUses());
      number(sb, "spent_epsilon", b.spentEpsilon());
      number(sb, "delta", b.delta());
      number(sb, "budget_epsilon", b.budgetEpsilon());
      number(sb, "budget_delta", b.budgetDelta());
      sb.append(",\"no_dp\":").append(b.unprotected()).append(",\"exhausted\":").append(b.exhausted()).append('}');
    }
    sb.append(']');
  }

  /**
   * {@code s} with every control character (C0, DEL, C1) and the Unicode line and paragraph
   * separators written as {@code \\uXXXX}, and backslashes doubled: the strings of a ledger are the
   * coordinator's and the sites' words, and must not move an auditor's cursor, clear the screen or
   * forge lines of this listing.
   */
  static String printable(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean escape = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || c == '\\';
      if (escape && sb == null) {
        sb = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (sb != null) {
        if (c == '\\') {
          sb.append("\\\\");
        } else if (escape) {
          sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
        } else {
          sb.append(c);
        }
      }
    }
    return sb == null ? s : sb.toString();
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static void hexArray(StringBuilder sb, List<byte[]> hashes) {
    List<String> h = new ArrayList<>();
    for (byte[] b : hashes) {
      h.add(hex(b));
    }
    strings(sb, h);
  }

  static void strings(StringBuilder sb, List<String> values) {
    sb.append('[');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      quote(sb, values.get(i));
    }
    sb.append(']');
  }

  static void field(StringBuilder sb, String name, String value) {
    sb.append(",\"").append(name).append("\":");
    quote(sb, value);
  }

  /** JSON has no infinity: ε = ∞ (privacy mode none) is written as the string "Infinity". */
  static void number(StringBuilder sb, String name, double v) {
    sb.append(",\"").append(name).append("\":");
    if (Double.isFinite(v)) {
      sb.append(v);
    } else {
      quote(sb, Double.toString(v));
    }
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Serve the read-only dashboard for an offline copy of a ledger (entries, budgets, rounds, "
          + "inclusion proofs checked in the browser, Prometheus /metrics) until interrupted.")
  static final class Serve extends OnLedger {
    @Option(names = "--port", defaultValue = "8080", description = "HTTP port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--public", description = "Allow binding to an address other than loopback.")
    boolean allowPublic;

    @Override
    public Integer call() throws Exception {
      requireLedger();
      if (port < 0 || port > 65535) {
        throw new UserException("--port must be in 0..65535, was " + port);
      }
      LedgerSource source;
      try {
        source = LedgerSource.snapshot(dir);
      } catch (LedgerException e) {
        throw new UserException("ledger " + dir + ": " + e.getMessage(), e, EXIT_VERIFY_FAILED);
      } catch (IOException e) {
        throw new UserException("cannot read ledger " + dir + ": " + e.getMessage(), e);
      }
      InetSocketAddress address = new InetSocketAddress(bind, port);
      DashboardServer server;
      try {
        server = DashboardServer.start(address, allowPublic, source, null);
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage() + " (use --public to allow it)");
      } catch (IOException e) {
        throw new UserException("cannot listen on " + bind + ":" + port + ": " + e.getMessage(), e);
      }
      try (server) {
        out().println("dashboard of " + dir + " (" + source.size() + " entries) on http://"
            + address.getAddress().getHostAddress() + ":" + server.port() + "/ ; Ctrl-C to stop");
        out().flush();
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 0;
    }
  }
}
