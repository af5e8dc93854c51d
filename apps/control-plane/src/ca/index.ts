export {
  type CertificateAuthority,
  generatedRootFiles,
  type OpenCertificateAuthorityOptions,
  type OperatorCaFiles,
  openCertificateAuthority,
} from "./authority.ts";
export {
  CsrRejectedError,
  type IssuedCertificate,
  issueServerCertificate,
  signWorkloadCsr,
} from "./issue.ts";
