// Package distribution is berth's registry client: reference
// normalisation, registry transports (TLS from certs.d, insecure and
// loopback registries), credentials, pull (parallel layers, each unpacked
// while it downloads) and push (blobs sent as stored).
package distribution
