export { createCertificateRequest, generateMeshKeyPair, type MeshKeyPair } from "./key-pair.ts";
export { MeshIdentity, type MeshIdentityOptions } from "./mesh-identity.ts";
export {
  PeerIdentityError,
  parseSpiffeId,
  peerSpiffeId,
  type SpiffeIdentity,
  spiffeId,
  verifyPeerIdentity,
} from "./spiffe.ts";
