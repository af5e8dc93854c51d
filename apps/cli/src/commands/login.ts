import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { createClient, resolveServer, saveCredentials } from "../connection.ts";
import { UsageError } from "../errors.ts";
import type { GlobalOptions } from "../main.ts";

/** Trades a username and password for an API token and keeps it (with the server) in the credentials file. */
export function loginCommand(globals: () => GlobalOptions): Command {
  return new Command("login")
    .description("sign in and save an API token in ~/.config/loom/credentials")
    .option("-u, --username <name>", "user to sign in as")
    .option("--password-stdin", "read the password from standard input")
    .option("--token <token>", "save this API token instead of signing in")
    .action(async (options: { username?: string; passwordStdin?: boolean; token?: string }) => {
      const server = await resolveServer(globals().server);
      if (options.token !== undefined) {
        const file = await saveCredentials({ server, token: options.token });
        console.log(`Saved the token for ${server} in ${file}`);
        return;
      }
      const username = options.username ?? (await ask("Username: "));
      const password = options.passwordStdin
        ? (await readStdin()).replace(/\r?\n$/, "")
        : await askHidden("Password: ");
      if (!username || !password) throw new UsageError("a username and a password are needed");
      const { token, role } = await createClient(server, undefined).auth.createCliToken.mutate({
        username,
        password,
        tokenName: `loomctl:${username}`,
      });
      const file = await saveCredentials({ server, token });
      console.log(`Signed in to ${server} as ${username} (${role}); token saved in ${file}`);
    });
}

async function ask(question: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new UsageError("no terminal to ask on: pass --username and --password-stdin");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question(question)).trim();
  } finally {
    prompt.close();
  }
}

/** Like `ask`, without echoing what is typed. */
function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new UsageError("no terminal to ask on: pass --password-stdin");
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (settle: () => void) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      settle();
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === "\r" || character === "\n") return finish(() => resolve(typed));
        if (character === "\u0003") return finish(() => reject(new UsageError("cancelled")));
        typed = character === "\u007f" ? typed.slice(0, -1) : typed + character;
      }
    };
    input.on("data", onData);
  });
}

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text;
}
