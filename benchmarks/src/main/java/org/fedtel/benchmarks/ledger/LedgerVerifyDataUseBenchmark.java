package org.fedtel.benchmarks.ledger;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.DataUseSignatures;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.SyntheticLedger;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.PrivacyMode;
import org.fedtel.ledger.v1.RoundCommitted;
import org.fedtel.ledger.v1.RoundStarted;
import org.fedtel.ledger.v1.SiteEnrolled;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The audit of a ledger that looks like a real consortium's: 50 sites, every round samples all of
 * them, so nearly every entry is a data use with a site and a coordinator signature and a privacy
 * recomputation. Shows what dominates a realistic {@code fedtel ledger verify}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class LedgerVerifyDataUseBenchmark {
  @Param("60")
  public int rounds;

  private Path dir;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("fedtel-ledger-datause");
    int sites = 50;
    try (Ledger l = Ledger.open(dir, SyntheticLedger.genesis(1), SyntheticLedger.coordinatorKey(1),
        java.time.Clock.systemUTC())) {
      List<Entry.Builder> enrol = new ArrayList<>();
      for (int s = 0; s < sites; s++) {
        enrol.add(Entry.newBuilder().setSiteEnrolled(SiteEnrolled.newBuilder().setSiteId(SyntheticLedger.siteId(s))
            .setSigningKey(ByteString.copyFrom(SyntheticLedger.siteKey(1, s).verifyingKey().toBytes()))
            .setBudgetEpsilon(1000).setBudgetDelta(1e-5)));
      }
      l.appendAll(enrol);
      RdpAccountant one = new RdpAccountant().composeSampledGaussian(0.01, 1.1, 1);
      RdpAccountant[] spent = new RdpAccountant[sites];
      for (int s = 0; s < sites; s++) {
        spent[s] = new RdpAccountant();
      }
      for (int r = 1; r <= rounds; r++) {
        RoundStarted.Builder start = RoundStarted.newBuilder().setRound(r);
        RoundCommitted.Builder commit = RoundCommitted.newBuilder().setRound(r);
        for (int s = 0; s < sites; s++) {
          start.addSampledSites(SyntheticLedger.siteId(s));
        }
        l.append(Entry.newBuilder().setRoundStarted(start));
        for (int s = 0; s < sites; s++) {
          spent[s].compose(one);
          byte[] body = DataUseBody.newBuilder().setRound(r).setSiteId(SyntheticLedger.siteId(s))
              .setPrivacyMode(PrivacyMode.PRIVACY_MODE_DISTRIBUTED).setClipNorm(1).setNoiseMultiplier(1.1)
              .setSamplingRate(0.01).setSteps(1).setDelta(1e-5).setAccountant("rdp")
              .setRoundEpsilon(one.epsilon(1e-5)).setCumulativeEpsilon(spent[s].epsilon(1e-5)).build().toByteArray();
          l.appendDataUse(body, DataUseSignatures.signBySite(SyntheticLedger.siteKey(1, s), body));
          commit.addSurvivors(SyntheticLedger.siteId(s));
        }
        l.append(Entry.newBuilder().setRoundCommitted(commit));
        l.signCheckpoint();
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    BenchmarkFiles.deleteTree(dir);
  }

  @Benchmark
  public AuditReport verify() throws Exception {
    return LedgerAudit.verify(dir);
  }
}
