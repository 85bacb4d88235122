package org.fedtel.siteagent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.NoteException;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.Witness;
import org.fedtel.privacy.accounting.BudgetExceededException;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.SampledGaussian;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's durable state, in one directory: what it has spent of its privacy budget and the last
 * checkpoint it accepted as a witness. Without it a restarted agent would start from a zero spend
 * (and could overspend its declared budget) and from no checkpoint (and would accept a rolled-back
 * ledger). It is the {@link SiteSession.Journal} of the site's sessions.
 *
 * <p>Files (created owner-only, like the crypto module's key files):
 * <ul>
 *   <li>{@code charges.log}: an 8-byte magic {@code FTSITE01}, u16 length and UTF-8 site id, u32
 *       CRC32C of the header; then one 36-byte record per charged round: i64 round, f64 sampling
 *       rate q, f64 noise multiplier z, i64 steps, u32 CRC32C of the 32 bytes before it (big-endian).
 *       A record is fsynced before {@link #charged} returns, i.e. before the session releases
 *       anything derived from the data. A failing last record is what a crash mid-append leaves (its
 *       charge was never acknowledged, so nothing was released): it is cut back and reported in
 *       {@link #recovery()}, and so is zero fill after the last good record. A failing record with
 *       other data after it is corruption and an error naming the file and offset. The header is written once, by an atomic rename, so it is never torn.</li>
 *   <li>{@code checkpoint.note}: the last accepted signed checkpoint (C2SP signed note), replaced by
 *       write to a temporary file, fsync, atomic rename and directory fsync.</li>
 *   <li>{@code released.round}: the highest uncharged round (privacy mode none) in which the site
 *       released a masked input: i64 round, u32 CRC32C of it, replaced like the checkpoint before the
 *       release. With the charged rounds of {@code charges.log} it tells a restarted agent which
 *       round numbers it must not run again.</li>
 *   <li>{@code lock}: held while the state is open, so two agents cannot spend from one budget.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class SiteState implements SiteSession.Journal, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SiteState.class);
  static final String CHARGES = "charges.log";
  static final String CHECKPOINT = "checkpoint.note";
  static final String RELEASED = "released.round";
  static final String LOCK = "lock";
  static final byte[] MAGIC = "FTSITE01".getBytes(StandardCharsets.US_ASCII);
  static final int RECORD_BYTES = 36;
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  /** One recorded round's privacy cost. */
  public record Charge(long round, SampledGaussian event) {
    public Charge {
      if (round < 1) {
        throw new IllegalArgumentException("round must be >= 1, got " + round);
      }
      Objects.requireNonNull(event, "event");
    }
  }

  /** What opening the state had to repair: bytes of a torn last charge record cut back. */
  public record Recovery(long bytesCut, String tornTail) {
    public boolean repaired() {
      return bytesCut > 0;
    }
  }

  private final Path dir;
  private final String siteId;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final FileChannel charges;
  private final Map<Long, SampledGaussian> recorded = new LinkedHashMap<>();
  private Recovery recovery;
  private long end;
  private SignedNote checkpoint;
  private long released;
  private boolean closed;

  private SiteState(Path dir, String siteId, FileChannel lockChannel, FileLock lock, FileChannel charges) {
    this.dir = dir;
    this.siteId = siteId;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.charges = charges;
  }

  /**
   * Opens (creating if needed) the state of {@code siteId} in {@code dir}.
   *
   * @throws SiteStateException if a file is corrupt, belongs to another site, is accessible by
   *     others, or another agent holds the directory
   */
  public static SiteState open(Path dir, String siteId) throws IOException, SiteStateException {
    if (siteId == null || siteId.isEmpty() || siteId.getBytes(StandardCharsets.UTF_8).length > 0xFFFF) {
      throw new IllegalArgumentException("invalid site id '" + siteId + "'");
    }
    dir = dir.toAbsolutePath();
    if (!Files.exists(dir)) {
      createOwnerOnlyDirectory(dir);
    } else if (!Files.isDirectory(dir)) {
      throw new SiteStateException(dir, -1, "is not a directory");
    }
    checkOwnerOnly(dir, true);
    Path lockFile = dir.resolve(LOCK);
    if (!Files.exists(lockFile)) {
      createOwnerOnlyFile(lockFile);
    }
    FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new SiteStateException(dir, -1, "the state directory is in use by another site agent");
    }
    boolean ok = false;
    FileChannel charges = null;
    try {
      Path chargesFile = dir.resolve(CHARGES);
      if (!Files.exists(chargesFile)) {
        writeAtomically(chargesFile, header(siteId));
      }
      checkOwnerOnly(chargesFile, false);
      charges = FileChannel.open(chargesFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
      SiteState state = new SiteState(dir, siteId, lockChannel, lock, charges);
      state.recovery = state.scanCharges(chargesFile);
      state.checkpoint = readCheckpoint(dir);
      state.released = readReleased(dir);
      ok = true;
      return state;
    } finally {
      if (!ok) {
        if (charges != null) {
          charges.close();
        }
        lock.release();
        lockChannel.close();
      }
    }
  }

  /** Reads the charges file into {@link #recorded}; cuts back a torn last record. */
  private Recovery scanCharges(Path file) throws IOException, SiteStateException {
    long length = charges.size();
    byte[] bytes = new byte[Math.toIntExact(length)];
    ByteBuffer all = ByteBuffer.wrap(bytes);
    while (all.hasRemaining() && charges.read(all, all.position()) >= 0) {
      // read until full
    }
    int headerLength = checkHeader(file, bytes);
    int off = headerLength;
    String torn = null;
    for (; off < bytes.length; off += RECORD_BYTES) {
      if (bytes.length - off < RECORD_BYTES) {
        torn = String.format(Locale.ROOT, "an incomplete record of %d bytes at offset %d", bytes.length - off, off);
        break;
      }
      ByteBuffer r = ByteBuffer.wrap(bytes, off, RECORD_BYTES);
      long round = r.getLong();
      double q = r.getDouble();
      double z = r.getDouble();
      long steps = r.getLong();
      int crc = r.getInt();
      if (crc != crc(bytes, off, RECORD_BYTES - 4)) {
        if (off + RECORD_BYTES == bytes.length) {
          torn = "a last record failing its checksum at offset " + off;
          break;
        }
        if (zeros(bytes, off)) {
          torn = (bytes.length - off) + " bytes of zero fill at offset " + off; // space allocated, data never written
          break;
        }
        throw new SiteStateException(file, off, "charge record fails its checksum, and " + (bytes.length - off - RECORD_BYTES)
            + " bytes follow it (corruption, not a torn write)");
      }
      Charge charge;
      try {
        charge = new Charge(round, new SampledGaussian(q, z, steps));
      } catch (IllegalArgumentException e) {
        throw new SiteStateException(file, off, "invalid charge record: " + e.getMessage());
      }
      SampledGaussian before = recorded.get(round);
      if (before == null) {
        recorded.put(round, charge.event());
      } else if (!before.equals(charge.event())) {
        throw new SiteStateException(file, off, "round " + round + " is recorded twice with different charges: " + before
            + " and " + charge.event());
      } // else: the same round recorded twice is charged once
    }
    end = off;
    if (torn == null) {
      return new Recovery(0, null);
    }
    long cut = bytes.length - off;
    charges.truncate(off);
    charges.force(true);
    LOG.warn("site state {}: cut back {} bytes of a torn write after {} charge records: {}", file, cut, recorded.size(), torn);
    return new Recovery(cut, torn);
  }

  private int checkHeader(Path file, byte[] bytes) throws SiteStateException {
    if (bytes.length < MAGIC.length + 2 + 4 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new SiteStateException(file, 0, "not a fedtel site charges file (bad magic or too short)");
    }
    int idLength = ((bytes[MAGIC.length] & 0xFF) << 8) | (bytes[MAGIC.length + 1] & 0xFF);
    int headerLength = MAGIC.length + 2 + idLength + 4;
    if (bytes.length < headerLength) {
      throw new SiteStateException(file, 0, "header is cut short");
    }
    int stored = ByteBuffer.wrap(bytes, headerLength - 4, 4).getInt();
    if (stored != crc(bytes, 0, headerLength - 4)) {
      throw new SiteStateException(file, 0, "header fails its checksum");
    }
    String owner = new String(bytes, MAGIC.length + 2, idLength, StandardCharsets.UTF_8);
    if (!owner.equals(siteId)) {
      throw new SiteStateException(file, 0, "belongs to site '" + owner + "', not '" + siteId + "'");
    }
    return headerLength;
  }

  private static long readReleased(Path dir) throws IOException, SiteStateException {
    Path tmp = dir.resolve(RELEASED + ".tmp");
    if (Files.isDirectory(tmp)) {
      throw new SiteStateException(tmp, -1, "is a directory, not a leftover temporary file");
    }
    Files.deleteIfExists(tmp);
    Path file = dir.resolve(RELEASED);
    if (!Files.exists(file)) {
      return 0;
    }
    if (!Files.isRegularFile(file)) {
      throw new SiteStateException(file, -1, "is not a regular file");
    }
    checkOwnerOnly(file, false);
    byte[] b = Files.readAllBytes(file);
    if (b.length != 12) {
      throw new SiteStateException(file, 0, "is " + b.length + " bytes, expected 12 (a round and its CRC32C): damaged");
    }
    if (crc(b, 0, 8) != ByteBuffer.wrap(b, 8, 4).getInt()) {
      throw new SiteStateException(file, 8, "fails its CRC32C: damaged");
    }
    long round = ByteBuffer.wrap(b, 0, 8).getLong();
    if (round < 1) {
      throw new SiteStateException(file, 0, "records round " + round + ", not a round number");
    }
    return round;
  }

  private static SignedNote readCheckpoint(Path dir) throws IOException, SiteStateException {
    // A temporary file is a replacement whose rename never happened: the old checkpoint stands.
    Files.deleteIfExists(dir.resolve(CHECKPOINT + ".tmp"));
    Path file = dir.resolve(CHECKPOINT);
    if (!Files.exists(file)) {
      return null;
    }
    checkOwnerOnly(file, false);
    try {
      return SignedNote.parse(Files.readAllBytes(file));
    } catch (NoteException e) {
      throw new SiteStateException(file, -1, "not a signed checkpoint: " + e.getMessage());
    }
  }

  /**
   * Replays the recorded charges into {@code budget} (each round once) and restores the last
   * accepted checkpoint into {@code witness}. Call once, on fresh objects, before any session.
   *
   * @param budget the site's declared budget, or null for a site without one (then no charge may
   *     be recorded)
   * @throws SiteStateException if the recorded spend exceeds the declared budget, or the recorded
   *     checkpoint does not verify as the coordinator's
   */
  public synchronized void restoreInto(PrivacyBudget budget, Witness witness) throws SiteStateException {
    Path chargesFile = dir.resolve(CHARGES);
    if (!recorded.isEmpty() && budget == null) {
      throw new SiteStateException(chargesFile, -1, recorded.size() + " charged rounds are recorded but the site declares no budget");
    }
    for (Map.Entry<Long, SampledGaussian> c : recorded.entrySet()) {
      try {
        budget.record(c.getValue());
      } catch (BudgetExceededException e) {
        throw new SiteStateException(chargesFile, -1, String.format(Locale.ROOT,
            "the spend recorded up to round %d exceeds the declared budget (epsilon %.6g at delta %.3g); a site cannot declare "
                + "less than it has spent: %s", c.getKey(), budget.declaredEpsilon(), budget.declaredDelta(), e.getMessage()));
      }
    }
    if (checkpoint != null) {
      try {
        witness.restore(checkpoint);
      } catch (LedgerException e) {
        throw new SiteStateException(dir.resolve(CHECKPOINT), -1, "the recorded checkpoint does not verify as the coordinator's: "
            + e.getMessage());
      }
    }
  }

  @Override
  public synchronized void charged(long round, SampledGaussian charge) throws IOException {
    checkOpen();
    Charge c = new Charge(round, charge);
    SampledGaussian before = recorded.get(round);
    if (before != null) {
      // A round is charged once: a second charge is a second use of the data, which the budget would
      // count but this log (one record per round) would forget after a restart.
      throw new IOException("round " + round + " is already recorded with charge " + before + "; a round is charged once");
    }
    ByteBuffer b = ByteBuffer.allocate(RECORD_BYTES);
    b.putLong(c.round()).putDouble(charge.samplingRate()).putDouble(charge.noiseMultiplier()).putLong(charge.steps());
    b.putInt(crc(b.array(), 0, RECORD_BYTES - 4));
    b.flip();
    long pos = end;
    while (b.hasRemaining()) {
      pos += charges.write(b, pos);
    }
    charges.force(true);
    end = pos;
    recorded.put(round, charge);
  }

  @Override
  public synchronized void released(long round) throws IOException {
    checkOpen();
    if (round <= released) {
      throw new IOException("round " + round + " is not after round " + released + ", already released");
    }
    ByteBuffer b = ByteBuffer.allocate(12);
    b.putLong(round);
    b.putInt(crc(b.array(), 0, 8));
    writeAtomically(dir.resolve(RELEASED), b.array());
    released = round;
  }

  /** The highest uncharged round recorded by {@link #released}; 0 if none. */
  public synchronized long highestReleased() {
    return released;
  }

  @Override
  public synchronized void accepted(SignedNote note) throws IOException {
    checkOpen();
    writeAtomically(dir.resolve(CHECKPOINT), note.toBytes());
    checkpoint = note;
  }

  /** The recorded charges, one per round, in the order they were recorded. */
  public synchronized List<Charge> charges() {
    List<Charge> out = new ArrayList<>(recorded.size());
    recorded.forEach((round, event) -> out.add(new Charge(round, event)));
    return out;
  }

  /** The last accepted checkpoint, if any. */
  public synchronized Optional<SignedNote> lastAccepted() {
    return Optional.ofNullable(checkpoint);
  }

  /** What {@link #open} repaired. */
  public synchronized Recovery recovery() {
    return recovery;
  }

  public Path directory() {
    return dir;
  }

  public String siteId() {
    return siteId;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("site state " + dir + " is closed");
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      charges.close();
    } finally {
      try {
        lock.release();
      } finally {
        lockChannel.close();
      }
    }
  }

  static byte[] header(String siteId) {
    byte[] id = siteId.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 2 + id.length + 4);
    b.put(MAGIC).putShort((short) id.length).put(id);
    b.putInt(crc(b.array(), 0, b.position()));
    return b.array();
  }

  private static boolean zeros(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  static int crc(byte[] bytes, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(bytes, off, len);
    return (int) c.getValue();
  }

  /**
   * Replaces {@code file} with {@code bytes}: a temporary owner-only file, fsync, atomic rename,
   * directory fsync. A crash leaves the old content or the new, never a mix.
   */
  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    createOwnerOnlyFile(tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the state directory does not support atomic rename: " + file.getParent(), e);
    }
    try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // Some platforms cannot open a directory for fsync; the rename itself is still atomic.
    }
  }

  static void createOwnerOnlyFile(Path file) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file); // no POSIX permissions on this file system: nothing more to restrict
    }
  }

  static void createOwnerOnlyDirectory(Path dir) throws IOException {
    if (dir.getParent() != null) {
      Files.createDirectories(dir.getParent());
    }
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
    } catch (UnsupportedOperationException notPosix) {
      Files.createDirectory(dir);
    }
  }

  /** Refuses a state file or directory that others may read or change (they could reset the spend). */
  static void checkOwnerOnly(Path path, boolean directory) throws IOException, SiteStateException {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(path);
    } catch (UnsupportedOperationException notPosix) {
      return;
    }
    if (!(directory ? OWNER_DIR : OWNER_FILE).containsAll(perms)) {
      throw new SiteStateException(path, -1, "is accessible by others (" + PosixFilePermissions.toString(perms) + "); run: chmod "
          + (directory ? "700 " : "600 ") + path);
    }
  }
}
