package org.fedtel.simulations.generator;

import java.io.IOException;
import java.io.OutputStream;

/** Where one node's CSV goes (a file, a compressing stream, a network sink); closed by the caller of {@link #open}. */
@FunctionalInterface
public interface NodeStreams {
  OutputStream open(int node) throws IOException;
}
