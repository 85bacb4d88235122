package org.fedtel.ledger;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.crypto.SigningKey;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.ledger.v1.PrivacyMode;
import org.fedtel.ledger.v1.RoundCommitted;
import org.fedtel.ledger.v1.RoundStarted;
import org.fedtel.ledger.v1.SiteEnrolled;
import org.fedtel.privacy.accounting.RdpAccountant;

/**
 * Writes a realistic ledger for tests, demos and benchmarks, deterministic under its seed: genesis,
 * enrolments, rounds that sample sites, data uses signed by each site with the ε its accountant
 * gives (distributed DP-FedAvg, q = sampled/sites, one step per round), commits, a signed checkpoint
 * after every round and every site cosigning it as a {@link Witness}.
 */
public final class SyntheticLedger {
  public static final String ORIGIN = "fedtel.test/ledger";
  static final double NOISE_MULTIPLIER = 1.1;
  static final double DELTA = 1e-5;

  private SyntheticLedger() {}

  public static SigningKey coordinatorKey(long seed) {
    return key(seed, -1);
  }

  public static SigningKey siteKey(long seed, int site) {
    return key(seed, site);
  }

  public static String siteId(int site) {
    return String.format("site-%02d", site);
  }

  private static SigningKey key(long seed, int who) {
    SplittableRandom r = new SplittableRandom(seed * 1_000_003L + who);
    ByteBuffer b = ByteBuffer.allocate(32);
    for (int i = 0; i < 4; i++) {
      b.putLong(r.nextLong());
    }
    return SigningKey.fromSeed(b.array());
  }

  /** A clock that advances one second per reading from a fixed start. */
  static Clock steppingClock() {
    return new Clock() {
      private long t = 1_764_000_000_000L;

      @Override
      public synchronized long millis() {
        return t += 1000;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis());
      }

      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }
    };
  }

  public static Genesis genesis(long seed) {
    return Genesis.newBuilder().setConsortiumId("test-consortium")
        .setCaCertificateSha256(ByteString.copyFrom(new byte[32]))
        .setCoordinatorKey(ByteString.copyFrom(coordinatorKey(seed).verifyingKey().toBytes()))
        .setOrigin(ORIGIN).build();
  }

  /**
   * Writes {@code rounds} rounds over {@code sites} sites (each sampled with probability 1/2) into
   * {@code dir} and returns the number of entries.
   */
  public static long write(Path dir, int sites, int rounds, long seed, boolean checkpoints)
      throws IOException, LedgerException {
    SplittableRandom random = new SplittableRandom(seed);
    double budget = 8.0;
    try (Ledger ledger = Ledger.open(dir, genesis(seed), coordinatorKey(seed), steppingClock())) {
      List<Witness> witnesses = new ArrayList<>();
      RdpAccountant[] spent = new RdpAccountant[sites];
      boolean[] exhausted = new boolean[sites];
      for (int s = 0; s < sites; s++) {
        ledger.append(Entry.newBuilder().setSiteEnrolled(SiteEnrolled.newBuilder().setSiteId(siteId(s))
            .setCertificateSha256(ByteString.copyFrom(MerkleTree.leafHash(siteId(s).getBytes())))
            .setSigningKey(ByteString.copyFrom(siteKey(seed, s).verifyingKey().toBytes()))
            .setBudgetEpsilon(budget).setBudgetDelta(DELTA)));
        witnesses.add(new Witness(siteId(s), siteKey(seed, s), ledger.checkpointVerifier()));
        spent[s] = new RdpAccountant();
      }
      double q = 0.5;
      RdpAccountant perRound = new RdpAccountant().composeSampledGaussian(q, NOISE_MULTIPLIER, 1);
      for (int round = 1; round <= rounds; round++) {
        RoundStarted.Builder start = RoundStarted.newBuilder().setRound(round)
            .setConfigSha256(ByteString.copyFrom(MerkleTree.leafHash(("config " + round).getBytes())));
        List<Integer> sampled = new ArrayList<>();
        for (int s = 0; s < sites; s++) {
          if (!exhausted[s] && random.nextDouble() < q) {
            RdpAccountant next = new RdpAccountant().compose(spent[s]).compose(perRound);
            if (next.epsilon(DELTA) > budget) {
              exhausted[s] = true;
              ledger.append(Entry.newBuilder().setBudgetExhausted(org.fedtel.ledger.v1.BudgetExhausted.newBuilder()
                  .setSiteId(siteId(s)).setSpentEpsilon(spent[s].epsilon(DELTA)).setBudgetEpsilon(budget)));
              continue;
            }
            sampled.add(s);
            start.addSampledSites(siteId(s));
          }
        }
        ledger.append(Entry.newBuilder().setRoundStarted(start));
        RoundCommitted.Builder commit = RoundCommitted.newBuilder().setRound(round);
        for (int s : sampled) {
          spent[s].compose(perRound);
          DataUseBody body = DataUseBody.newBuilder().setRound(round).setSiteId(siteId(s))
              .setDatasetSha256(ByteString.copyFrom(MerkleTree.leafHash(("data " + s).getBytes())))
              .setRecordCount(1000 + random.nextInt(9000)).setPrivacyMode(PrivacyMode.PRIVACY_MODE_DISTRIBUTED)
              .setClipNorm(1.0).setNoiseMultiplier(NOISE_MULTIPLIER).setSamplingRate(q).setSteps(1)
              .setDelta(DELTA).setAccountant("rdp").setRoundEpsilon(perRound.epsilon(DELTA))
              .setCumulativeEpsilon(spent[s].epsilon(DELTA)).build();
          byte[] bytes = DataUseSignatures.serialize(body);
          ledger.appendDataUse(bytes, DataUseSignatures.signBySite(siteKey(seed, s), bytes));
          commit.addSurvivors(siteId(s));
        }
        byte[] model = MerkleTree.leafHash(("model " + round).getBytes());
        ledger.append(Entry.newBuilder().setRoundCommitted(commit
            .setAggregateSha256(ByteString.copyFrom(MerkleTree.leafHash(("aggregate " + round).getBytes())))
            .setModelSha256(ByteString.copyFrom(model))));
        if (checkpoints) {
          SignedNote note = ledger.signCheckpoint();
          for (Witness w : witnesses) {
            NoteSignature cosig = w.cosign(note, ledger.consistencyProof(w.acceptedSize(), ledger.size()));
            ledger.addCosignature(ledger.size(), cosig);
          }
        }
      }
      return ledger.size();
    }
  }
}
