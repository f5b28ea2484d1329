-- Mutual TLS for client systems of the LGSP gateway: a subsystem may be bound to the certificate it presents.
-- The TLS connection is terminated by the province's reverse proxy (or by the platform itself when it serves
-- TLS); the gateway compares the SHA-256 fingerprint of the certificate presented with the one registered here.
-- See src/modules/lgsp/README.md ("Client certificates").
ALTER TABLE lgsp_subsystems
  ADD COLUMN client_certificate        text,
  ADD COLUMN client_certificate_sha256 text,
  ADD CONSTRAINT lgsp_subsystems_certificate_check
    CHECK ((client_certificate IS NULL) = (client_certificate_sha256 IS NULL));
