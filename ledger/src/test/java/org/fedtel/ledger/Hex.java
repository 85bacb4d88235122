package org.fedtel.ledger;

import java.util.HexFormat;

final class Hex {
  private Hex() {}

  static byte[] de(String s) {
    return HexFormat.of().parseHex(s);
  }

  static String en(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
