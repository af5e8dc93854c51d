export { InvalidOtlpBodyError } from "./decode.ts";
export {
  createOtlpReceiver,
  OTLP_TRACES_PATH,
  type OtlpReceiver,
  type OtlpReceiverOptions,
} from "./receiver.ts";
