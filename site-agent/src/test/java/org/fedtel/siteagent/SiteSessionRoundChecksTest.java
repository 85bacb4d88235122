package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.EncryptedShares;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.FederatedStatisticsSpec;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.RoundDecision;
import org.fedtel.protocol.v1.RoundPurpose;
import org.fedtel.protocol.v1.RoundStart;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a site checks in a RoundStart before it uses its data: the privacy mode against its declared
 * budget, the distributed mechanism's n_min against the round's secure aggregation, and the round
 * number against every round it has charged, across connections and restarts.
 */
class SiteSessionRoundChecksTest {
  @TempDir Path dir;
  private long sequence;

  private SiteSession session(PrivacyBudget budget) {
    return new SiteSession("site-1", budget, new SiteStateTest.StubTrainer(100), SiteStateTest.StubSecAgg::new,
        SiteStateTest.key(7), SiteStateTest.witness("site-1"));
  }

  private Envelope start(long round, RoundStart.Builder rs) {
    return Wire.envelope("coordinator", round, ++sequence).setRoundStart(rs).build();
  }

  private static RoundStart.Builder training(PrivacyParams.Builder privacy, SecAggParams.Builder secagg) {
    return RoundStart.newBuilder().addParameters(0.5).addParameters(-0.25)
        .setTrainConfig(TrainConfig.newBuilder().setBatchSize(10).setLocalEpochs(1).setLearningRate(0.1))
        .setSecagg(secagg).setPrivacy(privacy);
  }

  private static SecAggParams.Builder pair() {
    return SecAggParams.newBuilder().addParticipants("site-1").addParticipants("site-2");
  }

  private static RoundStart.Builder unprotected() {
    return training(PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_NONE).setQuantizationScale(16777216.0), pair());
  }

  private static RoundStart.Builder local() {
    return training(PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_LOCAL).setClipNorm(1).setNoiseMultiplier(1.0)
        .setDelta(1e-5).setQuantizationScale(16777216.0), pair());
  }

  /** The rest of a round up to the site's release: its data-use record and masked input. */
  private List<Envelope> toRelease(SiteSession s, long round) throws RejectedMessageException {
    s.onEnvelope(Wire.envelope("coordinator", round, ++sequence).setKeyList(KeyList.getDefaultInstance()).build());
    return s.onEnvelope(Wire.envelope("coordinator", round, ++sequence).setEncryptedShares(EncryptedShares.getDefaultInstance()).build());
  }

  private static RoundDecision decision(List<Envelope> out) {
    return out.get(0).getRoundDecision();
  }

  @Test
  void aSiteWithABudgetRefusesAnUnprotectedRoundUnlessItOptedIn() throws Exception {
    PrivacyBudget budget = new PrivacyBudget(1.0, 1e-5);
    SiteSession s = session(budget);
    RoundDecision d = decision(s.onEnvelope(start(1, unprotected())));
    assertFalse(d.getAccepted(), "a mode-none round would release the exact update of a site that declared epsilon 1");
    assertTrue(d.getReason().contains("privacy mode none") && d.getReason().contains("accept_unprotected"), d.getReason());
    // Nothing released, nothing charged: the round is not in progress.
    assertThrows(RejectedMessageException.class, () -> toRelease(s, 1));
    assertEquals(0.0, budget.spentEpsilon(), 0.0);

    // Statistics rounds in mode none release exact sums: refused the same way (before any sum is computed).
    RoundStart.Builder stats = unprotected().setPurpose(RoundPurpose.ROUND_PURPOSE_FEATURE_MEANS)
        .setFederatedStatistics(FederatedStatisticsSpec.newBuilder().setSize(4).setBound(1));
    RoundDecision ds = decision(s.onEnvelope(start(2, stats)));
    assertFalse(ds.getAccepted());
    assertTrue(ds.getReason().contains("privacy mode none"), ds.getReason());

    // Opted in: the baseline round runs, flagged as unprotected in the site's data-use record.
    SiteSession optedIn = session(budget).acceptUnprotectedRounds(true);
    assertTrue(decision(optedIn.onEnvelope(start(3, unprotected()))).getAccepted());
    List<Envelope> released = toRelease(optedIn, 3);
    DataUseBody use = DataUseBody.parseFrom(released.get(0).getDataUse().getRecord());
    assertEquals(org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_NONE, use.getPrivacyMode());
    assertEquals(0.0, budget.spentEpsilon(), 0.0);
  }

  @Test
  void aSiteWithoutABudgetTakesUnprotectedRoundsAsBefore() throws Exception {
    SiteSession s = session(null);
    assertTrue(decision(s.onEnvelope(start(1, unprotected()))).getAccepted());
    assertEquals(2, toRelease(s, 1).size());
  }

  private static RoundStart.Builder distributed(int participants, int threshold, int minSurvivors) {
    return distributed(participants, threshold, minSurvivors, 0);
  }

  private static RoundStart.Builder distributed(int participants, int threshold, int minSurvivors, int neighbours) {
    SecAggParams.Builder secagg = SecAggParams.newBuilder().setModulusBits(48).setThreshold(threshold)
        .setNeighbours(neighbours).setGraphSeed(ByteString.copyFrom(new byte[32]));
    for (int i = 1; i <= participants; i++) {
      secagg.addParticipants("site-" + i);
    }
    return training(PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_DISTRIBUTED).setClipNorm(1).setNoiseMultiplier(1.0)
        .setDelta(1e-5).setMinSurvivors(minSurvivors).setSampledSites(Math.max(participants, minSurvivors)).setRotationSeed(5), secagg);
  }

  @Test
  void aDistributedRoundIsRefusedWhenItsNoiseIsCalibratedToMoreSitesThanCanBeUnmaskedTogether() throws Exception {
    PrivacyBudget budget = new PrivacyBudget(100, 1e-5);
    SiteSession s = session(budget);
    // Each of 2 sites would add 1/1000 of the noise the charge assumes.
    RoundDecision inflated = decision(s.onEnvelope(start(1, distributed(2, 2, 1000))));
    assertFalse(inflated.getAccepted());
    assertTrue(inflated.getReason().contains("min_survivors 1000 exceeds the 2 participants"), inflated.getReason());
    // 3 participants but a threshold of 2: a server can unmask the sum of 2, which carries 2/3 of the noise.
    RoundDecision aboveThreshold = decision(s.onEnvelope(start(2, distributed(3, 2, 3))));
    assertFalse(aboveThreshold.getAccepted());
    assertTrue(aboveThreshold.getReason().contains("min_survivors 3 exceeds the secure-aggregation threshold 2"),
        aboveThreshold.getReason());
    assertEquals(0.0, budget.spentEpsilon(), 0.0);
    // Control: n_min within both is the ordinary distributed round.
    assertTrue(decision(s.onEnvelope(start(3, distributed(3, 2, 2)))).getAccepted());
    assertTrue(decision(s.onEnvelope(start(4, distributed(2, 2, 2)))).getAccepted());
    // The SecAgg+ graph: t counts per share group of k + 1 sites and does not bound the smallest
    // sum, so n_min above it is taken (large simulations calibrate to half of hundreds of sites).
    assertTrue(decision(s.onEnvelope(start(5, distributed(8, 3, 5, 4)))).getAccepted());
  }

  @Test
  void aRoundChargedOnAnEarlierConnectionIsNotRunAgainAndTheRestoredSpendEqualsTheLiveOne() throws Exception {
    Path state = dir.resolve("state");
    PrivacyBudget live = new PrivacyBudget(100, 1e-5);
    DataUseAccount account = new DataUseAccount();
    try (SiteState st = SiteState.open(state, "site-1")) {
      SiteSession first = session(live).journal(st).account(account);
      assertTrue(decision(first.onEnvelope(start(5, local()))).getAccepted());
      assertEquals(2, toRelease(first, 5).size());
      double afterOne = live.spentEpsilon();
      assertTrue(afterOne > 0);

      sequence = 0; // a new connection: the coordinator's sequence starts again
      SiteSession second = session(live).journal(st).account(account);
      RejectedMessageException replay = assertThrows(RejectedMessageException.class, () -> second.onEnvelope(start(5, local())));
      assertEquals(RejectedMessageException.Reason.WRONG_ROUND, replay.reason());
      assertTrue(replay.getMessage().contains("already charged round 5"), replay.getMessage());
      assertThrows(RejectedMessageException.class, () -> second.onEnvelope(start(4, local())));
      assertEquals(afterOne, live.spentEpsilon(), 0.0);
      // The next round is taken.
      assertTrue(decision(second.onEnvelope(start(6, local()))).getAccepted());
      assertEquals(2, toRelease(second, 6).size());
    }
    PrivacyBudget restored = new PrivacyBudget(100, 1e-5);
    DataUseAccount restoredAccount = new DataUseAccount();
    try (SiteState st = SiteState.open(state, "site-1")) {
      st.restoreInto(restored, SiteStateTest.witness("site-1"));
      for (SiteState.Charge c : st.charges()) {
        restoredAccount.restore(c.round(), c.event());
      }
      assertEquals(live.spentEpsilon(), restored.spentEpsilon(), 0.0);
      // After a restart too: the restored account knows round 6 was charged.
      sequence = 0;
      SiteSession afterRestart = session(restored).journal(st).account(restoredAccount);
      assertThrows(RejectedMessageException.class, () -> afterRestart.onEnvelope(start(6, local())));
      assertTrue(decision(afterRestart.onEnvelope(start(7, local()))).getAccepted());
    }
  }

  /**
   * An uncharged round (privacy mode none) is not run twice either, on a later connection of the same
   * agent: the same input masked again among other survivors would be the difference of two sums.
   */
  @Test
  void anUnprotectedRoundReleasedOnAnEarlierConnectionIsNotRunAgain() throws Exception {
    DataUseAccount account = new DataUseAccount();
    SiteSession first = session(null).account(account);
    assertTrue(decision(first.onEnvelope(start(5, unprotected()))).getAccepted());
    assertEquals(2, toRelease(first, 5).size());
    sequence = 0; // a new connection
    SiteSession second = session(null).account(account);
    RejectedMessageException replay = assertThrows(RejectedMessageException.class, () -> second.onEnvelope(start(5, unprotected())));
    assertEquals(RejectedMessageException.Reason.WRONG_ROUND, replay.reason());
    assertTrue(replay.getMessage().contains("already released a masked input in round 5"), replay.getMessage());
    assertTrue(decision(second.onEnvelope(start(6, unprotected()))).getAccepted());
    assertEquals(2, toRelease(second, 6).size());
    // A round accepted but abandoned before anything was released may be run again.
    sequence = 0;
    SiteSession third = session(null).account(account);
    assertTrue(decision(third.onEnvelope(start(7, unprotected()))).getAccepted());
    sequence = 0;
    SiteSession fourth = session(null).account(account);
    assertTrue(decision(fourth.onEnvelope(start(7, unprotected()))).getAccepted());
  }

  /** After a restart too: the uncharged release is in the site's durable state. */
  @Test
  void anUnprotectedRoundReleasedBeforeARestartIsNotRunAgain() throws Exception {
    Path state = dir.resolve("state-none");
    try (SiteState st = SiteState.open(state, "site-1")) {
      SiteSession first = session(null).journal(st).account(new DataUseAccount());
      assertTrue(decision(first.onEnvelope(start(5, unprotected()))).getAccepted());
      assertEquals(2, toRelease(first, 5).size());
      assertEquals(5, st.highestReleased());
    }
    try (SiteState st = SiteState.open(state, "site-1")) {
      assertEquals(5, st.highestReleased());
      DataUseAccount restored = new DataUseAccount();
      restored.restoreReleased(st.highestReleased());
      sequence = 0;
      SiteSession afterRestart = session(null).journal(st).account(restored);
      RejectedMessageException replay = assertThrows(RejectedMessageException.class,
          () -> afterRestart.onEnvelope(start(5, unprotected())));
      assertTrue(replay.getMessage().contains("already released a masked input in round 5"), replay.getMessage());
      assertTrue(decision(afterRestart.onEnvelope(start(6, unprotected()))).getAccepted());
      assertEquals(2, toRelease(afterRestart, 6).size());
      assertEquals(6, st.highestReleased());
      java.io.IOException backwards = assertThrows(java.io.IOException.class, () -> st.released(6));
      assertTrue(backwards.getMessage().contains("already released"), backwards.getMessage());
    }
    // A damaged record is an error naming the file, not a silent "nothing released".
    java.nio.file.Files.write(state.resolve(SiteState.RELEASED), new byte[] {0, 0, 0, 0, 0, 0, 0, 6, 1, 2, 3, 4});
    SiteStateException damaged = assertThrows(SiteStateException.class, () -> SiteState.open(state, "site-1"));
    assertTrue(damaged.getMessage().contains(SiteState.RELEASED) && damaged.getMessage().contains("fails its CRC32C"),
        damaged.getMessage());
    java.nio.file.Files.write(state.resolve(SiteState.RELEASED), new byte[] {0, 0, 0, 6});
    SiteStateException shortFile = assertThrows(SiteStateException.class, () -> SiteState.open(state, "site-1"));
    assertTrue(shortFile.getMessage().contains("is 4 bytes, expected 12"), shortFile.getMessage());
    java.nio.file.Files.delete(state.resolve(SiteState.RELEASED));
    java.nio.file.Files.createDirectory(state.resolve(SiteState.RELEASED));
    SiteStateException notAFile = assertThrows(SiteStateException.class, () -> SiteState.open(state, "site-1"));
    assertTrue(notAFile.getMessage().contains("is not a regular file"), notAFile.getMessage());
  }

  @Test
  void aSecondChargeOfARoundIsAnError() {
    DataUseAccount account = new DataUseAccount();
    account.charged(3, SiteStateTest.E1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> account.charged(3, SiteStateTest.E1));
    assertTrue(e.getMessage().contains("round 3 is already charged"), e.getMessage());
  }
}
