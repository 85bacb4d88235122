package org.fedtel.crypto.secagg;

/** Which secret a revealed share belongs to (wire: {@code fedtel.v1.ShareKind}). */
public enum ShareKind {
  /** A share of a dropped site's mask secret key s_sk. */
  MASK_KEY,
  /** A share of a surviving site's self-mask seed b. */
  SELF_MASK
}
