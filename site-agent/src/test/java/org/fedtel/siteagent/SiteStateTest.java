package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedtel.crypto.SigningKey;
import org.fedtel.ledger.Checkpoint;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.MerkleTree;
import org.fedtel.ledger.NoteSigner;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.Witness;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.SampledGaussian;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.Envelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site's durable spend and witness state: restart, torn and corrupt files, permissions. */
class SiteStateTest {
  static final String ORIGIN = "test/ledger";
  static final SigningKey COORDINATOR_KEY = key(1);
  static final NoteSigner LOG = NoteSigner.of(ORIGIN, COORDINATOR_KEY);
  static final SampledGaussian E1 = new SampledGaussian(0.1, 1.1, 10);
  static final SampledGaussian E2 = new SampledGaussian(0.2, 0.9, 5);

  @TempDir Path dir;

  static SigningKey key(int seed) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) seed);
    return SigningKey.fromSeed(s);
  }

  static Witness witness(String site) {
    return new Witness(site, key(7), LOG.verifier());
  }

  static MerkleTree tree(int n) {
    List<byte[]> e = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      e.add(("entry " + i).getBytes());
    }
    return MerkleTree.of(e);
  }

  static SignedNote checkpoint(MerkleTree t, long size) {
    return SignedNote.sign(new Checkpoint(ORIGIN, size, t.root(size)).body(), LOG);
  }

  Path state() {
    return dir.resolve("state-site-1");
  }

  @Test
  void aRestartRestoresTheSpendAndTheBudgetRefusesWhatWouldOverspend() throws Exception {
    PrivacyBudget live = new PrivacyBudget(1e6, 1e-5);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertFalse(s.recovery().repaired());
      live.record(E1);
      s.charged(1, E1);
      live.record(E2);
      s.charged(2, E2);
    }
    double spent = live.spentEpsilon();
    assertTrue(spent > 0);
    // Declared so that the two recorded rounds fit and one more of E2 does not.
    double declared = (spent + live.epsilonAfter(E2)) / 2;
    PrivacyBudget restored = new PrivacyBudget(declared, 1e-5);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(List.of(new SiteState.Charge(1, E1), new SiteState.Charge(2, E2)), s.charges());
      s.restoreInto(restored, witness("site-1"));
    }
    assertEquals(spent, restored.spentEpsilon(), 0.0);
    assertTrue(restored.wouldExceed(E2), "the restored budget must refuse a third round");
    assertFalse(new PrivacyBudget(declared, 1e-5).wouldExceed(E2), "negative control: a budget that forgot its spend accepts it");
  }

  @Test
  void aRoundRecordedTwiceIsChargedOnceAndAConflictingRecordIsRefused() throws Exception {
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.charged(1, E1);
      // A second charge of a round is a second use of its data: an error, not silently skipped.
      java.io.IOException again = assertThrows(java.io.IOException.class, () -> s.charged(1, E1));
      assertTrue(again.getMessage().contains("round 1 is already recorded"), again.getMessage());
      assertEquals(headerLength() + SiteState.RECORD_BYTES, Files.size(charges()));
      assertThrows(java.io.IOException.class, () -> s.charged(1, E2));
    }
    // A duplicate written by some other path (e.g. a copy appended twice) still charges once.
    byte[] all = Files.readAllBytes(charges());
    Files.write(charges(), Arrays.copyOfRange(all, headerLength(), all.length), StandardOpenOption.APPEND);
    PrivacyBudget b = new PrivacyBudget(1e6, 1e-5);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(1, s.charges().size());
      s.restoreInto(b, witness("site-1"));
    }
    PrivacyBudget once = new PrivacyBudget(1e6, 1e-5);
    once.record(E1);
    assertEquals(once.spentEpsilon(), b.spentEpsilon(), 0.0);
    // The same round with a different charge is corruption, named by offset.
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.charged(2, E2);
    }
    byte[] withTwo = Files.readAllBytes(charges());
    byte[] conflicting = Arrays.copyOfRange(withTwo, withTwo.length - SiteState.RECORD_BYTES, withTwo.length);
    ByteBuffer.wrap(conflicting).putLong(0, 1); // round 2's charge relabelled as round 1
    ByteBuffer.wrap(conflicting).putInt(32, SiteState.crc(conflicting, 0, 32));
    Files.write(charges(), conflicting, StandardOpenOption.APPEND);
    SiteStateException e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertEquals(withTwo.length, e.offset());
    assertTrue(e.getMessage().contains("round 1 is recorded twice with different charges"), e.getMessage());
  }

  @Test
  void aRestoredWitnessRefusesARollback() throws Exception {
    MerkleTree t = tree(9);
    Witness w = witness("site-1");
    try (SiteState s = SiteState.open(state(), "site-1")) {
      w.cosign(checkpoint(t, 4), List.of());
      s.accepted(w.lastAccepted().orElseThrow());
      w.cosign(checkpoint(t, 7), t.consistencyProof(4, 7));
      s.accepted(w.lastAccepted().orElseThrow());
    }
    Witness restarted = witness("site-1");
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(checkpoint(t, 7), s.lastAccepted().orElseThrow());
      s.restoreInto(new PrivacyBudget(10, 1e-5), restarted);
    }
    assertEquals(7, restarted.acceptedSize());
    LedgerException e = assertThrows(LedgerException.class, () -> restarted.cosign(checkpoint(t, 5), List.of()));
    assertTrue(e.getMessage().contains("rollback"), e.getMessage());
    restarted.cosign(checkpoint(t, 9), t.consistencyProof(7, 9)); // growth is still accepted
    // Negative control: a witness that forgot its checkpoint would cosign the rolled-back one.
    witness("site-1").cosign(checkpoint(t, 5), List.of());
  }

  @Test
  void aTornLastRecordIsCutBackAndReported() throws Exception {
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.charged(1, E1);
      s.charged(2, E2);
    }
    long good = Files.size(charges());
    byte[] partial = new byte[20];
    Arrays.fill(partial, (byte) 0x5A);
    Files.write(charges(), partial, StandardOpenOption.APPEND);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(20, s.recovery().bytesCut());
      assertTrue(s.recovery().tornTail().contains("incomplete record of 20 bytes at offset " + good), s.recovery().tornTail());
      assertEquals(2, s.charges().size());
      assertEquals(good, Files.size(charges()));
      s.charged(3, E1); // appends after the cut
    }
    // A complete last record that fails its checksum (a write that reached the disk in part).
    byte[] all = Files.readAllBytes(charges());
    all[all.length - 10] ^= 1;
    Files.write(charges(), all);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(SiteState.RECORD_BYTES, s.recovery().bytesCut());
      assertEquals(List.of(1L, 2L), s.charges().stream().map(SiteState.Charge::round).toList());
    }
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertFalse(s.recovery().repaired(), "the cut is durable");
    }
    // Zero fill of several records' length (space allocated, data never written) is a torn tail too.
    long before = Files.size(charges());
    Files.write(charges(), new byte[3 * SiteState.RECORD_BYTES + 4], StandardOpenOption.APPEND);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(3 * SiteState.RECORD_BYTES + 4, s.recovery().bytesCut());
      assertTrue(s.recovery().tornTail().contains("zero fill at offset " + before), s.recovery().tornTail());
      assertEquals(2, s.charges().size());
    }
  }

  @Test
  void corruptionBeforeTheLastRecordIsAnErrorNamingFileAndOffset() throws Exception {
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.charged(1, E1);
      s.charged(2, E2);
      s.charged(3, E1);
    }
    byte[] all = Files.readAllBytes(charges());
    byte[] damaged = all.clone();
    damaged[headerLength() + SiteState.RECORD_BYTES + 3] ^= 0x40; // inside round 2's record
    Files.write(charges(), damaged);
    SiteStateException e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertEquals(headerLength() + SiteState.RECORD_BYTES, e.offset());
    assertTrue(e.getMessage().startsWith(charges().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("fails its checksum"), e.getMessage());
    assertArrayEquals(damaged, Files.readAllBytes(charges()), "nothing is reset or cut");

    // A record with a valid checksum but impossible values.
    byte[] invalid = all.clone();
    ByteBuffer.wrap(invalid).putDouble(headerLength() + 8, 1.5); // q > 1
    ByteBuffer.wrap(invalid).putInt(headerLength() + 32, SiteState.crc(invalid, headerLength(), 32));
    Files.write(charges(), invalid);
    e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertEquals(headerLength(), e.offset());
    assertTrue(e.getMessage().contains("invalid charge record"), e.getMessage());

    // A damaged header, and another site's file.
    byte[] header = all.clone();
    header[9] ^= 1;
    Files.write(charges(), header);
    e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertEquals(0, e.offset());
    Files.write(charges(), all);
    e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-2"));
    assertTrue(e.getMessage().contains("belongs to site 'site-1', not 'site-2'"), e.getMessage());
    Files.write(charges(), "hello".getBytes());
    e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertTrue(e.getMessage().contains("not a fedtel site charges file"), e.getMessage());
  }

  @Test
  void aBadCheckpointFileOrAForeignCheckpointIsAnError() throws Exception {
    MerkleTree t = tree(3);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.accepted(checkpoint(t, 3));
    }
    Path file = state().resolve(SiteState.CHECKPOINT);
    byte[] good = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(good, good.length - 5));
    SiteStateException e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertTrue(e.getMessage().contains(file + ": not a signed checkpoint"), e.getMessage());
    // Signed by someone else than the configured coordinator.
    Files.write(file, SignedNote.sign(new Checkpoint(ORIGIN, 3, t.root(3)).body(), NoteSigner.of(ORIGIN, key(9))).toBytes());
    try (SiteState s = SiteState.open(state(), "site-1")) {
      e = assertThrows(SiteStateException.class, () -> s.restoreInto(new PrivacyBudget(1, 1e-5), witness("site-1")));
      assertTrue(e.getMessage().contains("does not verify as the coordinator's"), e.getMessage());
    }
    // A leftover temporary file from a crash during a replacement is ignored (the rename never happened).
    Files.write(file, good);
    Files.write(state().resolve(SiteState.CHECKPOINT + ".tmp"), "half a note".getBytes());
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(checkpoint(t, 3), s.lastAccepted().orElseThrow());
    }
    assertFalse(Files.exists(state().resolve(SiteState.CHECKPOINT + ".tmp")));
  }

  @Test
  void aRecordedSpendAboveTheDeclaredBudgetIsAnErrorNotAReset() throws Exception {
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.charged(1, E1);
      s.charged(2, E2);
    }
    PrivacyBudget small = new PrivacyBudget(0.01, 1e-5);
    try (SiteState s = SiteState.open(state(), "site-1")) {
      SiteStateException e = assertThrows(SiteStateException.class, () -> s.restoreInto(small, witness("site-1")));
      assertTrue(e.getMessage().contains("cannot declare less than it has spent"), e.getMessage());
      e = assertThrows(SiteStateException.class, () -> s.restoreInto(null, witness("site-1")));
      assertTrue(e.getMessage().contains("declares no budget"), e.getMessage());
    }
  }

  @Test
  void filesAreOwnerOnlyAndTheDirectoryIsExclusive() throws Exception {
    try (SiteState s = SiteState.open(state(), "site-1")) {
      s.accepted(checkpoint(tree(2), 2));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state())));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(charges())));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state().resolve(SiteState.CHECKPOINT))));
      SiteStateException e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
      assertTrue(e.getMessage().contains("in use by another site agent"), e.getMessage());
    }
    Files.setPosixFilePermissions(charges(), PosixFilePermissions.fromString("rw-rw-r--"));
    SiteStateException e = assertThrows(SiteStateException.class, () -> SiteState.open(state(), "site-1"));
    assertTrue(e.getMessage().contains("run: chmod 600 " + charges()), e.getMessage());
    Files.setPosixFilePermissions(charges(), PosixFilePermissions.fromString("rw-------"));
    SiteState.open(state(), "site-1").close(); // the lock was released on the failed open
  }

  @Test
  void aSessionRecordsItsSpendAndCheckpointAndARestartedSessionRefusesToOverspendOrRollBack() throws Exception {
    MerkleTree t = tree(12);
    SessionRounds rounds = new SessionRounds("site-1", 100);
    SampledGaussian perRound = rounds.localCharge();
    PrivacyBudget probe = new PrivacyBudget(1e6, 1e-5);
    probe.record(perRound);
    probe.record(perRound);
    double afterTwo = probe.spentEpsilon();
    double declared = (afterTwo + probe.epsilonAfter(perRound)) / 2; // two rounds fit, a third does not

    PrivacyBudget budget = new PrivacyBudget(declared, 1e-5);
    Witness witness = witness("site-1");
    try (SiteState s = SiteState.open(state(), "site-1")) {
      SiteSession session = rounds.session(budget, witness).journal(s);
      rounds.runRound(session, 1, t, 5);
      rounds.runRound(session, 2, t, 8);
    }
    assertEquals(afterTwo, budget.spentEpsilon(), 0.0);

    PrivacyBudget restored = new PrivacyBudget(declared, 1e-5);
    Witness restoredWitness = witness("site-1");
    try (SiteState s = SiteState.open(state(), "site-1")) {
      assertEquals(List.of(new SiteState.Charge(1, perRound), new SiteState.Charge(2, perRound)), s.charges());
      s.restoreInto(restored, restoredWitness);
      SiteSession session = rounds.session(restored, restoredWitness).journal(s);
      assertEquals(8, session.hello().getHello().getLastCheckpointSize());
      List<Envelope> out = session.onEnvelope(rounds.roundStart(3));
      assertFalse(out.get(0).getRoundDecision().getAccepted());
      assertTrue(out.get(0).getRoundDecision().getReason().startsWith("budget:"), out.get(0).getRoundDecision().getReason());
      RejectedMessageException e = assertThrows(RejectedMessageException.class,
          () -> session.onEnvelope(rounds.checkpointEnvelope(4, t, 6, 8)));
      assertTrue(e.getMessage().contains("rollback"), e.getMessage());
    }
    // Negative control: a session with a fresh budget and witness accepts both.
    SiteSession forgetful = rounds.session(new PrivacyBudget(declared, 1e-5), witness("site-1"));
    assertTrue(forgetful.onEnvelope(rounds.roundStart(3)).get(0).getRoundDecision().getAccepted());
    assertEquals(1, forgetful.onEnvelope(rounds.checkpointEnvelope(4, t, 6, 0)).size());
  }

  @Test
  void aFailingJournalStopsTheRoundBeforeAnythingIsReleased() throws Exception {
    SessionRounds rounds = new SessionRounds("site-1", 100);
    SiteSession session = rounds.session(new PrivacyBudget(1e6, 1e-5), witness("site-1"));
    session.journal(new SiteSession.Journal() {
      @Override
      public void charged(long round, SampledGaussian charge) throws java.io.IOException {
        throw new java.io.IOException("disk full");
      }

      @Override
      public void accepted(SignedNote checkpoint) {}

      @Override
      public void released(long round) {}
    });
    session.onEnvelope(rounds.roundStart(1));
    session.onEnvelope(rounds.keyList(1));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> session.onEnvelope(rounds.shares(1)));
    assertTrue(e.getMessage().contains("disk full"), e.getMessage());
  }

  private Path charges() {
    return state().resolve(SiteState.CHARGES);
  }

  private static int headerLength() {
    return SiteState.header("site-1").length;
  }

  /** Drives a {@link SiteSession} through whole rounds in privacy mode local, with a stub secure aggregation. */
  static final class SessionRounds {
    final String site;
    final long examples;
    long sequence;

    SessionRounds(String site, long examples) {
      this.site = site;
      this.examples = examples;
    }

    SampledGaussian localCharge() {
      DpSgdSchedule s = DpSgdSchedule.of(examples, 10, 1);
      return new SampledGaussian(s.samplingRate(), 1.0, s.steps());
    }

    SiteSession session(PrivacyBudget budget, Witness witness) {
      return new SiteSession(site, budget, new StubTrainer(examples), StubSecAgg::new, key(7), witness);
    }

    Envelope roundStart(long round) {
      return org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence).setRoundStart(
          org.fedtel.protocol.v1.RoundStart.newBuilder().addParameters(0.5).addParameters(-0.25)
              .setTrainConfig(org.fedtel.protocol.v1.TrainConfig.newBuilder().setBatchSize(10).setLocalEpochs(1).setLearningRate(0.1))
              .setSecagg(org.fedtel.protocol.v1.SecAggParams.newBuilder().addParticipants(site).addParticipants("site-2"))
              .setPrivacy(org.fedtel.protocol.v1.PrivacyParams.newBuilder().setMode(org.fedtel.protocol.v1.PrivacyMode.PRIVACY_MODE_LOCAL)
                  .setClipNorm(1).setNoiseMultiplier(1.0).setDelta(1e-5))).build();
    }

    Envelope keyList(long round) {
      return org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence)
          .setKeyList(org.fedtel.protocol.v1.KeyList.getDefaultInstance()).build();
    }

    Envelope shares(long round) {
      return org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence)
          .setEncryptedShares(org.fedtel.protocol.v1.EncryptedShares.getDefaultInstance()).build();
    }

    Envelope checkpointEnvelope(long round, MerkleTree t, long size, long fromSize) {
      org.fedtel.protocol.v1.Checkpoint.Builder cp = org.fedtel.protocol.v1.Checkpoint.newBuilder()
          .setSignedNote(ByteString.copyFrom(checkpoint(t, size).toBytes()));
      if (fromSize > 0 && fromSize < size) {
        cp.setFromSize(fromSize);
        for (byte[] h : t.consistencyProof(fromSize, size)) {
          cp.addConsistencyProof(ByteString.copyFrom(h));
        }
      } else if (fromSize > 0) {
        cp.setFromSize(fromSize);
      }
      return org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence).setCheckpoint(cp).build();
    }

    /** One round from RoundStart to the cosigned checkpoint of size {@code size}. */
    void runRound(SiteSession s, long round, MerkleTree t, long size) throws Exception {
      long from = s.hello().getHello().getLastCheckpointSize();
      assertTrue(s.onEnvelope(roundStart(round)).get(0).getRoundDecision().getAccepted());
      s.onEnvelope(keyList(round));
      List<Envelope> masked = s.onEnvelope(shares(round));
      assertEquals(2, masked.size()); // data-use record, masked input
      s.onEnvelope(org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence)
          .setConsistencyCheck(org.fedtel.protocol.v1.ConsistencyCheck.getDefaultInstance()).build());
      s.onEnvelope(org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence)
          .setUnmaskRequest(org.fedtel.protocol.v1.UnmaskRequest.getDefaultInstance()).build());
      s.onEnvelope(org.fedtel.protocol.Wire.envelope("coordinator", round, ++sequence)
          .setRoundResult(org.fedtel.protocol.v1.RoundResult.getDefaultInstance()).build());
      List<Envelope> cosig = s.onEnvelope(checkpointEnvelope(round, t, size, from));
      assertEquals(size, cosig.get(0).getCosignature().getCheckpointSize());
    }
  }

  /** A trainer that returns a zero update: the accounting does not depend on what is learned. */
  record StubTrainer(long exampleCount) implements LocalTrainer {
    @Override
    public byte[] datasetSha256() {
      return new byte[32];
    }

    @Override
    public LocalUpdate train(long round, double[] global, org.fedtel.protocol.v1.TrainConfig config,
                             org.fedtel.protocol.v1.PrivacyParams privacy) {
      return new LocalUpdate(new double[global.length], 0.5);
    }
  }

  /** Secure aggregation that passes values through: these tests are about the site's own state. */
  static final class StubSecAgg implements SecAggClient {
    StubSecAgg(long round, String siteId, org.fedtel.protocol.v1.SecAggParams params, org.fedtel.protocol.v1.PrivacyParams privacy,
               int modelLength) {}

    @Override
    public org.fedtel.protocol.v1.AdvertiseKeys advertise() {
      return org.fedtel.protocol.v1.AdvertiseKeys.getDefaultInstance();
    }

    @Override
    public List<org.fedtel.protocol.v1.EncryptedShare> shares(org.fedtel.protocol.v1.KeyList keys) {
      return List.of();
    }

    @Override
    public void receiveShares(List<org.fedtel.protocol.v1.EncryptedShare> shares) {}

    @Override
    public org.fedtel.protocol.v1.MaskedInput mask(double[] input) {
      return org.fedtel.protocol.v1.MaskedInput.getDefaultInstance();
    }

    @Override
    public org.fedtel.protocol.v1.ConsistencySignature sign(org.fedtel.protocol.v1.ConsistencyCheck check) {
      return org.fedtel.protocol.v1.ConsistencySignature.getDefaultInstance();
    }

    @Override
    public org.fedtel.protocol.v1.UnmaskShares unmask(org.fedtel.protocol.v1.UnmaskRequest request) {
      return org.fedtel.protocol.v1.UnmaskShares.getDefaultInstance();
    }
  }
}
