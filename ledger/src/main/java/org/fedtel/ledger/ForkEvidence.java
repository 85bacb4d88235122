package org.fedtel.ledger;

/**
 * Two checkpoints, both validly signed by the log, that cannot both be honest: the same size with
 * different roots, or a larger one that is not consistent with the smaller (the proof offered
 * failed). Anyone holding the log's verifier key can re-check it.
 */
public record ForkEvidence(SignedNote accepted, SignedNote conflicting, String reason) {}
