import { describe, expect, it } from "vitest";
import {
  PeerIdentityError,
  parseSpiffeId,
  peerSpiffeId,
  spiffeId,
  verifyPeerIdentity,
} from "../../src/tls/index.ts";

const WEB = "spiffe://loom.local/ns/default/sa/web";

describe("SPIFFE helpers", () => {
  it("build and parse spiffe://<td>/ns/<ns>/sa/<service>", () => {
    expect(spiffeId("loom.local", "default", "web")).toBe(WEB);
    expect(parseSpiffeId(WEB)).toEqual({ trustDomain: "loom.local", namespace: "default", service: "web" });
    expect(parseSpiffeId("spiffe://loom.local/web")).toBeUndefined();
    expect(parseSpiffeId("https://loom.local/ns/default/sa/web")).toBeUndefined();
  });

  it("read the SPIFFE URI SAN as node reports it, beside other SANs and when node JSON-quotes it", () => {
    expect(peerSpiffeId({ subjectaltname: `DNS:web.local, URI:${WEB}, IP Address:127.0.0.1` })).toBe(WEB);
    expect(peerSpiffeId({ subjectaltname: `URI:"${WEB}"` })).toBe(WEB);
    expect(peerSpiffeId({ subjectaltname: "DNS:web.local" })).toBeUndefined();
    expect(peerSpiffeId(undefined)).toBeUndefined();
  });

  it("refuse a certificate with two SPIFFE IDs: not a valid SVID", () => {
    const other = "spiffe://loom.local/ns/default/sa/payments";
    expect(peerSpiffeId({ subjectaltname: `URI:${WEB}, URI:${other}` })).toBeUndefined();
  });

  it("explain an identity mismatch", () => {
    expect(verifyPeerIdentity({ subjectaltname: `URI:${WEB}` }, WEB)).toBeUndefined();
    const mismatch = verifyPeerIdentity(
      { subjectaltname: "URI:spiffe://loom.local/ns/default/sa/evil" },
      WEB,
    );
    expect(mismatch).toBeInstanceOf(PeerIdentityError);
    expect(mismatch?.message).toBe(
      `upstream presented identity spiffe://loom.local/ns/default/sa/evil, expected ${WEB}`,
    );
    expect(mismatch?.code).toBe("ERR_LOOM_PEER_IDENTITY");
    expect(verifyPeerIdentity({ subjectaltname: "DNS:x" }, WEB)?.message).toBe(
      `upstream certificate carries no SPIFFE ID; expected ${WEB}`,
    );
  });
});
