package org.fedtel.crypto.secagg;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Defensive copies for the message records. */
final class Bytes {
  private Bytes() {}

  static byte[] copy(byte[] b, String name) {
    if (b == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    return b.clone();
  }

  static <T> List<T> copy(List<T> list, String name) {
    if (list == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    List<T> out = new ArrayList<>(list.size());
    for (T t : list) {
      if (t == null) {
        throw new IllegalArgumentException(name + " contains null");
      }
      out.add(t);
    }
    return Collections.unmodifiableList(out);
  }

  static String id(String s, String name) {
    if (s == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    return s;
  }
}
