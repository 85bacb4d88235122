package org.fedtel.ledger;

/**
 * Two checkpoints, both validly signed by the log, that cannot both be honest: the same size with
 * different roots. Anyone holding the log's verifier key can re-check it. (A consistency proof that
 * fails is not evidence: an honest log's proof can be damaged on the way.)
 */
public record ForkEvidence(SignedNote accepted, SignedNote conflicting, String reason) {}
