export {
  type TrafficEffect,
  WHAT_IF_WINDOW,
  type WhatIfInput,
  type WhatIfResult,
  whatIf,
} from "./what-if.ts";
