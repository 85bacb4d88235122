package org.fedtel.coordinator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.fedtel.protocol.v1.CoordinatorState;

/**
 * The coordinator's model and strategy state on disk, replaced atomically after every committed
 * round: written to a temporary file, fsynced, renamed over the old one, directory fsynced. A kill
 * at any moment leaves either the old or the new state, never a mix. The file is the protobuf
 * {@link CoordinatorState}, whose model hash is checked on load.
 */
public final class StateStore {
  static final String FILE = "coordinator-state.pb";
  private final Path file;

  public StateStore(Path directory) throws IOException {
    Files.createDirectories(directory);
    this.file = directory.resolve(FILE);
  }

  /** The persisted state, or {@code null} on first start. @throws IOException if unreadable or corrupt */
  public CoordinatorState load() throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    CoordinatorState state;
    try {
      state = CoordinatorState.parseFrom(Files.readAllBytes(file));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IOException(file + ": not a coordinator state file (" + e.getMessage() + ")", e);
    }
    double[] params = state.getParametersList().stream().mapToDouble(Double::doubleValue).toArray();
    if (!Arrays.equals(modelHash(params), state.getModelHash().toByteArray())) {
      throw new IOException(file + ": model hash does not match the stored parameters (corrupt state)");
    }
    return state;
  }

  public void save(CoordinatorState state) throws IOException {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(state.toByteArray());
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the state directory does not support atomic rename: " + file.getParent(), e);
    }
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException ignored) {
      // Some platforms cannot open a directory for fsync; the rename itself is still atomic.
    }
  }

  /** SHA-256 over the parameters as big-endian IEEE 754 doubles: the model hash of the ledger. */
  public static byte[] modelHash(double[] parameters) {
    ByteBuffer buf = ByteBuffer.allocate(parameters.length * Double.BYTES);
    for (double p : parameters) {
      buf.putDouble(p);
    }
    try {
      return MessageDigest.getInstance("SHA-256").digest(buf.array());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

}
