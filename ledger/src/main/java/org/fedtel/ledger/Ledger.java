package org.fedtel.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.SignatureException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.ledger.v1.DataUse;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.Genesis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's ledger: one writer appends typed entries to a directory, each durable (fsync)
 * before {@link #append} returns; concurrent appenders share one fsync (group commit). Entries are
 * chained by hash and are the leaves of a {@link MerkleTree} whose node hashes are kept on disk, so
 * an append costs O(log n) hashes and any proof is cheap. After each round the coordinator signs a
 * checkpoint ({@link #signCheckpoint}); sites add their cosignatures ({@link #addCosignature}).
 *
 * <p>Files: {@code entries.log} (the entries), {@code hashes.bin} (Merkle node hashes, rebuilt from
 * the entries when short), {@code checkpoints/<size>.note} (signed notes), {@code writer.lock}.
 * Layout and recovery rules are in docs/LEDGER.md. Thread-safe.
 */
public final class Ledger implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);
  static final String CHECKPOINT_DIR = "checkpoints";
  static final String LOCK_FILE = "writer.lock";
  static final String HASHES_SYNCED = "hashes.synced";

  private final Path dir;
  private final SigningKey coordinatorKey;
  private final NoteSigner checkpointSigner;
  private final Clock clock;
  private final FileChannel log;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final FileHashStore hashes;
  private final MerkleTree tree;
  private final Genesis genesis;
  private final Map<String, VerifyingKey> siteKeys = new java.util.concurrent.ConcurrentHashMap<>();
  private final Recovery recovery;
  private final Object commitLock = new Object();

  // Guarded by this.
  private long[] offsets = new long[1024];
  private long size;
  private long logEnd;
  private byte[] lastLeaf;
  private long lastTimestamp;
  private boolean closed;
  private volatile boolean failed;
  private volatile long durable;

  /** What opening the ledger had to repair: a torn tail cut back, node hashes rebuilt. */
  public record Recovery(long entries, long bytesCut, String tornTail, long hashesRebuilt) {
    public boolean repaired() {
      return bytesCut > 0 || hashesRebuilt > 0;
    }
  }

  private Ledger(Path dir, Genesis genesis, SigningKey coordinatorKey, Clock clock, FileChannel lockChannel,
      FileLock lock) throws IOException, LedgerException {
    this.dir = dir;
    this.genesis = genesis;
    this.coordinatorKey = coordinatorKey;
    this.checkpointSigner = NoteSigner.of(genesis.getOrigin(), coordinatorKey);
    this.clock = clock;
    this.lockChannel = lockChannel;
    this.lock = lock;
    Path file = dir.resolve(EntryLog.FILE);
    Acknowledged acked = acknowledged();
    // A crash before the genesis entry was durable leaves at most a header and a torn record.
    boolean fresh = !Files.exists(file) || Files.size(file) <= EntryLog.MAGIC.length
        || EntryLog.scan(file, (i, o, b) -> { }, 1).entries() == 0;
    if (fresh && acked.entries() > 0) {
      throw new CorruptLedgerException(0, "the entries file holds no complete genesis entry but "
          + acked.entries() + " entries were acknowledged (" + acked.why() + ")");
    }
    this.log = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.hashes = new FileHashStore(dir.resolve(FileHashStore.FILE));
    if (fresh) {
      long discarded = Math.max(0, log.size() - EntryLog.MAGIC.length);
      if (discarded > 0) {
        // A crash during the very first append: the genesis record never became durable.
        LOG.warn("ledger {}: cut back {} bytes of an incomplete genesis record", dir, discarded);
      }
      log.truncate(0);
      log.write(ByteBuffer.wrap(EntryLog.MAGIC), 0);
      log.force(true);
      hashes.truncate(0);
      logEnd = EntryLog.MAGIC.length;
      tree = new MerkleTree(hashes, 0);
      recovery = new Recovery(0, discarded, discarded > 0 ? "an incomplete genesis record of " + discarded + " bytes" : null, 0);
      appendLocked(Entry.newBuilder().setGenesis(genesis));
      commit(0);
      return;
    }
    EntryLog.Scan scan;
    StoredHashes stored;
    try {
      // The stored node hashes are checked against the entries as they are read, so that no leaf
      // need be kept but those from the first entry whose hashes must be rebuilt.
      long synced = readSyncedHashes();
      stored = new StoredHashes(hashes, Math.min(leavesWithin(hashes.count(), hashes.count()), synced));
      scan = EntryLog.scan(file, (index, offset, bytes) -> {
        byte[] leaf = MerkleTree.leafHash(bytes);
        loadEntry(index, bytes, lastLeaf);
        recordOffset(index, offset);
        stored.leaf(index, leaf);
        lastLeaf = leaf;
      });
      if (scan.entries() == 0) {
        throw new CorruptLedgerException(0, "the genesis entry is missing");
      }
      // A torn tail is an append that crashed before its fsync, so it was never acknowledged
      // (DESIGN.md §4: "cut back to the last committed entry"). An entry that a stored checkpoint
      // covers, or whose node hashes were synced, was durable and acknowledged: a bad or missing
      // record there is damage, and cutting it would silently drop an acknowledged entry.
      if (scan.entries() < acked.entries()) {
        long n = scan.entries();
        throw new CorruptLedgerException(n, (scan.torn() ? scan.tornTail()
            : "is missing (the entries file ends after entry " + (n - 1) + ")")
            + ", but the entry was acknowledged (" + acked.why() + "); not cutting it back");
      }
    } catch (LedgerException | IOException | RuntimeException e) {
      log.close();
      hashes.close();
      throw e;
    }
    long cut = 0;
    if (scan.torn()) {
      cut = scan.fileLength() - scan.goodLength();
      log.truncate(scan.goodLength());
      log.force(true);
      LOG.warn("ledger {}: cut back a torn tail after entry {}: {}", dir, scan.entries() - 1, scan.tornTail());
    }
    size = scan.entries();
    durable = size;
    logEnd = scan.goodLength();
    long rebuilt = repairHashes(stored);
    tree = new MerkleTree(hashes, size);
    recovery = new Recovery(size, cut, scan.tornTail(), rebuilt);
  }

  /**
   * Opens the ledger in {@code dir}, creating it with {@code genesis} as entry 0 if it does not
   * exist. An existing ledger must have been created with the same genesis. A torn tail left by a
   * crash is cut back (see {@link #recovery()}); damage before it is a {@link CorruptLedgerException}.
   */
  public static Ledger open(Path dir, Genesis genesis, SigningKey coordinatorKey, Clock clock)
      throws IOException, LedgerException {
    if (!Arrays.equals(genesis.getCoordinatorKey().toByteArray(), coordinatorKey.verifyingKey().toBytes())) {
      throw new IllegalArgumentException("genesis coordinator_key is not the public half of the coordinator key");
    }
    if (!NoteKeys.validName(genesis.getOrigin())) {
      throw new IllegalArgumentException("genesis origin '" + genesis.getOrigin()
          + "' must be a note key name (no spaces or '+')");
    }
    Files.createDirectories(dir.resolve(CHECKPOINT_DIR));
    FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IllegalStateException("ledger " + dir + " is already open for writing");
    }
    try {
      return new Ledger(dir, genesis, coordinatorKey, clock, lockChannel, lock);
    } catch (IOException | LedgerException | RuntimeException e) {
      lock.release();
      lockChannel.close();
      throw e;
    }
  }

  private void loadEntry(long index, byte[] bytes, byte[] previousLeaf) throws LedgerException {
    Entry e;
    try {
      e = Entry.parseFrom(bytes);
    } catch (InvalidProtocolBufferException ex) {
      throw new CorruptLedgerException(index, "not a valid entry: " + ex.getMessage());
    }
    if (e.getIndex() != index) {
      throw new CorruptLedgerException(index, "index field says " + e.getIndex());
    }
    byte[] expectedPrev = previousLeaf == null ? new byte[32] : previousLeaf;
    if (!MessageDigest.isEqual(expectedPrev, e.getPreviousHash().toByteArray())) {
      throw new CorruptLedgerException(index, "previous-hash mismatch");
    }
    if (index == 0) {
      if (!e.hasGenesis()) {
        throw new CorruptLedgerException(0, "first entry is not a genesis entry");
      }
      if (!e.getGenesis().equals(genesis)) {
        throw new LedgerException("ledger " + dir + " was created for consortium '"
            + e.getGenesis().getConsortiumId() + "' with a different genesis");
      }
    }
    if (e.hasSiteEnrolled()) {
      try {
        siteKeys.put(e.getSiteEnrolled().getSiteId(),
            VerifyingKey.fromBytes(e.getSiteEnrolled().getSigningKey().toByteArray()));
      } catch (InvalidKeyException ex) {
        throw new CorruptLedgerException(index, "enrolled signing key: " + ex.getMessage());
      }
    }
    lastTimestamp = Math.max(lastTimestamp, e.getTimestampMillis());
  }

  /** How many entries were acknowledged, as far as the files show, and what shows it. */
  private record Acknowledged(long entries, String why) {}

  /**
   * The entries known to have been acknowledged: those covered by the largest stored checkpoint
   * (signed only over durable entries) or by {@code hashes.synced} (written only for durable entries).
   */
  private Acknowledged acknowledged() throws IOException {
    long checkpoint = 0;
    Path d = dir.resolve(CHECKPOINT_DIR);
    if (Files.isDirectory(d)) {
      try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(d, "*.note")) {
        for (Path p : files) {
          String name = p.getFileName().toString();
          try {
            checkpoint = Math.max(checkpoint, Long.parseLong(name.substring(0, name.length() - ".note".length())));
          } catch (NumberFormatException e) {
            // Not a checkpoint of ours; Checkpoints.readAll reports it to whoever reads them.
          }
        }
      }
    }
    long synced = readSyncedHashes();
    if (checkpoint >= synced) {
      return new Acknowledged(checkpoint, "covered by the stored checkpoint of size " + checkpoint);
    }
    return new Acknowledged(synced, HASHES_SYNCED + " records " + synced + " entries");
  }

  /**
   * Makes {@code hashes.bin} hold exactly the node hashes of the {@link #size} entries: those the
   * scan vouched for stay, the rest (never synced, or from the first that disagrees with the
   * entries) are rebuilt from the leaves {@code stored} kept. Returns how many entries were rebuilt.
   */
  private long repairHashes(StoredHashes stored) throws IOException {
    long expected = HashStore.countFor(size);
    long have = hashes.count();
    long synced = readSyncedHashes();
    long keep = stored.firstUnchecked(size);
    if (keep == size && have == expected && synced == size) {
      return 0;
    }
    if (stored.wrong) {
      LOG.warn("ledger {}: a stored node hash of entry {} disagrees with the entries; rebuilding from it", dir, keep);
    }
    hashes.truncate(HashStore.countFor(keep));
    MerkleTree t = new MerkleTree(hashes, keep);
    for (byte[] leaf : stored.leaves) {
      t.appendLeafHash(leaf);
    }
    syncHashes(size);
    if (size - keep > 0) {
      LOG.info("ledger {}: rebuilt node hashes of {} entries", dir, size - keep);
    }
    return size - keep;
  }

  /** The largest tree size, at most {@code max}, whose node hashes fit in {@code hashCount} hashes. */
  private static long leavesWithin(long hashCount, long max) {
    long lo = 0;
    long hi = max;
    while (lo < hi) {
      long mid = (lo + hi + 1) >>> 1;
      if (HashStore.countFor(mid) <= hashCount) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /**
   * The stored node hashes of the first {@code limit} entries (those synced and present), compared
   * with the entries' as the open scan reads them, in store order (as {@link MerkleTree#appendLeafHash}
   * writes them: a leaf, then the nodes it completes). hashes.bin is a cache, and a damaged hash would
   * otherwise be signed into a checkpoint root and served in proofs, so every synced one is checked.
   * From the first entry that is past the limit or disagrees, the leaves are kept for the rebuild.
   */
  private static final class StoredHashes {
    private final long limit;
    private final FileHashStore.Reader reader;
    private final MessageDigest md = MerkleTree.newSha256();
    /** edge[level]: the last complete subtree of that level among the entries compared so far. */
    private final byte[][] edge = new byte[64][];
    /** The first entry not vouched for (−1 while every entry so far matched). */
    private long firstUnchecked = -1;
    /** Whether that entry's stored hashes disagree with the entries (rather than being past the limit). */
    boolean wrong;
    final List<byte[]> leaves = new ArrayList<>();

    StoredHashes(FileHashStore hashes, long limit) {
      this.limit = limit;
      this.reader = hashes.reader(HashStore.countFor(limit));
    }

    void leaf(long index, byte[] leaf) throws IOException {
      if (firstUnchecked < 0) {
        if (index < limit && matches(index, leaf)) {
          return;
        }
        firstUnchecked = index;
        wrong = index < limit;
      }
      leaves.add(leaf);
    }

    /** The first entry whose hashes must be rebuilt, of {@code size} scanned. */
    long firstUnchecked(long size) {
      return firstUnchecked < 0 ? size : firstUnchecked;
    }

    private boolean matches(long i, byte[] leaf) throws IOException {
      if (!reader.nextEquals(leaf)) {
        return false;
      }
      byte[] h = leaf;
      int level = 0;
      for (; ((i >>> level) & 1) == 1; level++) {
        h = MerkleTree.nodeHash(md, edge[level], h);
        if (!reader.nextEquals(h)) {
          return false;
        }
      }
      edge[level] = h;
      return true;
    }
  }

  private long readSyncedHashes() {
    try {
      return Long.parseLong(Files.readString(dir.resolve(HASHES_SYNCED)).strip());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** Fsyncs the node hashes of the first {@code upTo} entries and records that they are durable. */
  private void syncHashes(long upTo) throws IOException {
    hashes.force();
    Path target = dir.resolve(HASHES_SYNCED);
    Path tmp = dir.resolve(HASHES_SYNCED + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap((upTo + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void recordOffset(long index, long offset) {
    if (index >= offsets.length) {
      offsets = Arrays.copyOf(offsets, (int) Math.min(Integer.MAX_VALUE - 8, offsets.length * 2L));
    }
    offsets[(int) index] = offset;
  }

  /**
   * Appends an entry of the kind set on {@code kind} (any kind but genesis and data use, which has
   * {@link #appendDataUse}); index, timestamp and previous hash are filled in here. Returns the new
   * entry's index once it is durable.
   */
  public long append(Entry.Builder kind) throws IOException {
    return appendAll(List.of(kind));
  }

  /**
   * Appends several entries in order with one fsync (e.g. the records of one round), each as in
   * {@link #append}. Returns the index of the last once all are durable.
   */
  public long appendAll(List<Entry.Builder> kinds) throws IOException {
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("nothing to append");
    }
    List<VerifyingKey> keys = new ArrayList<>();
    for (Entry.Builder kind : kinds) {
      switch (kind.getKindCase()) {
        case KIND_NOT_SET -> throw new IllegalArgumentException("entry kind is not set");
        case GENESIS -> throw new IllegalArgumentException("the genesis entry is written when the ledger is created");
        case DATA_USE -> throw new IllegalArgumentException("data-use entries go through appendDataUse");
        default -> { }
      }
      if (kind.getIndex() != 0 || kind.getTimestampMillis() != 0 || !kind.getPreviousHash().isEmpty()) {
        throw new IllegalArgumentException("index, timestamp and previous hash are set by the ledger");
      }
      if (kind.hasSiteEnrolled()) {
        String problem = enrolmentProblem(kind.getSiteEnrolled());
        if (problem != null) {
          throw new IllegalArgumentException(problem);
        }
        try {
          keys.add(VerifyingKey.fromBytes(kind.getSiteEnrolled().getSigningKey().toByteArray()));
        } catch (InvalidKeyException e) {
          throw new IllegalArgumentException("enrolled signing key: " + e.getMessage(), e);
        }
      }
    }
    long index = -1;
    synchronized (this) {
      // Checked under the lock, before anything is written: a site enrolled twice would make the
      // whole ledger fail its audit (LedgerAudit.enrol).
      java.util.Set<String> enrolling = new java.util.HashSet<>();
      for (Entry.Builder kind : kinds) {
        if (kind.hasSiteEnrolled()) {
          String id = kind.getSiteEnrolled().getSiteId();
          if (siteKeys.containsKey(id) || !enrolling.add(id)) {
            throw new IllegalArgumentException("site '" + id + "' is already enrolled");
          }
        }
      }
      int k = 0;
      for (Entry.Builder kind : kinds) {
        index = appendLocked(kind.clone());
        if (kind.hasSiteEnrolled()) {
          siteKeys.put(kind.getSiteEnrolled().getSiteId(), keys.get(k++));
        }
      }
    }
    commit(index);
    return index;
  }

  /**
   * What is wrong with an enrolment on its own (the rules {@code LedgerAudit.enrol} applies to every
   * enrolment; it also refuses a second enrolment of a site), or null. The site id is the key name of
   * the site's checkpoint cosignatures, so it must be a valid note key name.
   */
  static String enrolmentProblem(org.fedtel.ledger.v1.SiteEnrolled s) {
    String id = s.getSiteId();
    if (!NoteKeys.validName(id)) {
      return "site id '" + id + "' is not a note key name (empty, or has '+', whitespace or control characters)";
    }
    if (!(s.getBudgetEpsilon() > 0) || !(s.getBudgetDelta() >= 0 && s.getBudgetDelta() < 1)) {
      return "site '" + id + "' declares an invalid budget (ε=" + s.getBudgetEpsilon() + ", δ="
          + s.getBudgetDelta() + "): ε must be > 0 and 0 ≤ δ < 1";
    }
    return null;
  }

  /**
   * Appends a data use as the site signed it: {@code body} is a serialized {@code DataUseBody} and
   * {@code siteSignature} the site's signature ({@link DataUseSignatures#signBySite}). The site must be
   * enrolled and its signature must verify; the coordinator countersigns. Returns the entry's index
   * once it is durable.
   */
  public long appendDataUse(byte[] body, byte[] siteSignature) throws IOException, LedgerException {
    DataUseBody parsed;
    try {
      parsed = DataUseBody.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      throw new LedgerException("data-use body is not a DataUseBody: " + e.getMessage());
    }
    // Signature work happens outside the append lock so that concurrent appenders overlap it.
    VerifyingKey siteKey = siteKeys.get(parsed.getSiteId());
    if (siteKey == null) {
      throw new LedgerException("data use by site '" + parsed.getSiteId() + "', which is not enrolled");
    }
    try {
      DataUseSignatures.verifySite(siteKey, body, siteSignature);
    } catch (SignatureException e) {
      throw new LedgerException("data use by site '" + parsed.getSiteId() + "': site signature does not verify");
    }
    byte[] coordinatorSignature = DataUseSignatures.signByCoordinator(coordinatorKey, body, siteSignature);
    long index;
    synchronized (this) {
      index = appendLocked(Entry.newBuilder().setDataUse(DataUse.newBuilder()
          .setBody(com.google.protobuf.ByteString.copyFrom(body))
          .setSiteSignature(com.google.protobuf.ByteString.copyFrom(siteSignature))
          .setCoordinatorSignature(com.google.protobuf.ByteString.copyFrom(coordinatorSignature))));
    }
    commit(index);
    return index;
  }

  private long appendLocked(Entry.Builder b) throws IOException {
    checkUsable();
    long index = size;
    long now = Math.max(clock.millis(), lastTimestamp);
    b.setIndex(index).setTimestampMillis(now)
        .setPreviousHash(com.google.protobuf.ByteString.copyFrom(index == 0 ? new byte[32] : lastLeaf));
    byte[] bytes = b.build().toByteArray();
    if (bytes.length > EntryLog.MAX_ENTRY_BYTES) {
      throw new IllegalArgumentException("entry of " + bytes.length + " bytes is larger than "
          + EntryLog.MAX_ENTRY_BYTES);
    }
    ByteBuffer frame = ByteBuffer.wrap(EntryLog.frame(bytes));
    try {
      long pos = logEnd;
      while (frame.hasRemaining()) {
        pos += log.write(frame, pos);
      }
      byte[] leaf = MerkleTree.leafHash(bytes);
      tree.appendLeafHash(leaf);
      recordOffset(index, logEnd);
      logEnd = pos;
      lastLeaf = leaf;
      lastTimestamp = now;
      size = index + 1;
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
    return index;
  }

  /** Makes every entry up to {@code index} durable; one fsync serves all appenders waiting for it. */
  private void commit(long index) throws IOException {
    synchronized (commitLock) {
      if (durable > index) {
        return;
      }
      long target;
      synchronized (this) {
        target = size;
      }
      try {
        // Only the entries need to be durable: node hashes are derived from them, fsynced with
        // each checkpoint and on close, and rebuilt on open past the last synced size.
        log.force(false);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
      durable = target;
    }
  }

  private void checkUsable() {
    if (closed) {
      throw new IllegalStateException("ledger " + dir + " is closed");
    }
    if (failed) {
      throw new IllegalStateException("ledger " + dir + " failed to write; close and reopen it to recover");
    }
  }

  /** Number of durable entries. */
  public long size() {
    return durable;
  }

  /** Merkle root of the durable entries. */
  public synchronized byte[] root() {
    return tree.root(durable);
  }

  public synchronized byte[] root(long size) {
    checkDurable(size);
    return tree.root(size);
  }

  public synchronized List<byte[]> inclusionProof(long index, long size) {
    checkDurable(size);
    return tree.inclusionProof(index, size);
  }

  public synchronized List<byte[]> consistencyProof(long fromSize, long toSize) {
    checkDurable(toSize);
    return tree.consistencyProof(fromSize, toSize);
  }

  public synchronized byte[] leafHash(long index) {
    checkDurable(index + 1);
    return tree.leafHashAt(index);
  }

  /** The stored bytes of entry {@code index}. */
  public synchronized byte[] entry(long index) throws IOException {
    checkDurable(index + 1);
    if (index < 0) {
      throw new IllegalArgumentException("index " + index);
    }
    long off = offsets[(int) index];
    ByteBuffer len = ByteBuffer.allocate(4);
    while (len.hasRemaining()) {
      if (log.read(len, off + len.position()) < 0) {
        throw new IOException("entries file ends inside entry " + index);
      }
    }
    ByteBuffer b = ByteBuffer.allocate(len.flip().getInt());
    while (b.hasRemaining()) {
      if (log.read(b, off + 4 + b.position()) < 0) {
        throw new IOException("entries file ends inside entry " + index);
      }
    }
    return b.array();
  }

  public Genesis genesis() {
    return genesis;
  }

  public Recovery recovery() {
    return recovery;
  }

  /** Verifier of the coordinator's checkpoint signatures (key name = the genesis origin). */
  public NoteVerifier checkpointVerifier() {
    return checkpointSigner.verifier();
  }

  /** Signs a checkpoint of all durable entries, stores it and returns it. */
  public SignedNote signCheckpoint() throws IOException {
    Checkpoint c;
    synchronized (this) {
      checkUsable();
      c = new Checkpoint(genesis.getOrigin(), durable, tree.root(durable));
    }
    SignedNote note = SignedNote.sign(c.body(), checkpointSigner);
    synchronized (this) {
      syncHashes(durable);
      Optional<SignedNote> existing = readCheckpoint(c.size());
      if (existing.isPresent()) {
        if (existing.get().text().equals(note.text())) {
          return existing.get(); // keep cosignatures already collected for this size
        }
        // Two roots signed for one size are a fork by the coordinator's own key, and replacing the
        // file would also drop the sites' cosignatures of the first (DESIGN.md §4).
        throw new IllegalStateException("ledger " + dir + ": a different checkpoint of size " + c.size()
            + " is already stored; refusing to sign a second root for that size");
      }
      writeCheckpoint(c.size(), note);
    }
    return note;
  }

  /**
   * Adds a site's cosignature to the stored checkpoint of {@code size}. The signer must be an
   * enrolled site (key name = site id) and the signature must verify.
   */
  public synchronized SignedNote addCosignature(long size, NoteSignature cosignature)
      throws IOException, LedgerException {
    SignedNote note = readCheckpoint(size)
        .orElseThrow(() -> new LedgerException("no checkpoint of size " + size + " was signed"));
    VerifyingKey key = siteKeys.get(cosignature.name());
    if (key == null) {
      throw new LedgerException("cosignature by '" + cosignature.name() + "', which is not an enrolled site");
    }
    NoteVerifier.of(cosignature.name(), key).verify(note.text(), cosignature);
    SignedNote updated = note.withSignature(cosignature);
    if (updated != note) {
      writeCheckpoint(size, updated);
    }
    return updated;
  }

  /** The stored checkpoints by size (signed notes with any cosignatures). */
  public synchronized TreeMap<Long, SignedNote> checkpoints() throws IOException, LedgerException {
    return Checkpoints.readAll(dir);
  }

  private Optional<SignedNote> readCheckpoint(long size) throws IOException {
    Path p = Checkpoints.path(dir, size);
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    try {
      return Optional.of(SignedNote.parse(Files.readAllBytes(p)));
    } catch (NoteException e) {
      throw new IOException("stored checkpoint " + p + " is damaged: " + e.getMessage(), e);
    }
  }

  private void writeCheckpoint(long size, SignedNote note) throws IOException {
    Path target = Checkpoints.path(dir, size);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(note.toBytes());
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      LOG.debug("directory fsync not supported for {}", target.getParent());
    }
  }

  private void checkDurable(long size) {
    if (size < 0 || size > durable) {
      throw new IllegalArgumentException("size " + size + " outside 0.." + durable + " (durable entries)");
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      if (!failed) {
        synchronized (this) {
          // Only durable entries: hashes.synced also tells open which entries were acknowledged.
          syncHashes(durable);
        }
      }
    } finally {
      closeFiles();
    }
  }

  private void closeFiles() throws IOException {
    try {
      log.close();
      hashes.close();
    } finally {
      lock.release();
      lockChannel.close();
    }
  }

  @Override
  public String toString() {
    return "Ledger[" + dir + ", " + durable + " entries]";
  }
}
