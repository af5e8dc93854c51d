import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Testing Library cleans up by itself only where test globals are on; these tests import them.
afterEach(cleanup);
