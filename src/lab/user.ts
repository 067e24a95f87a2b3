import { run, runOk } from "./exec.js";
import { withAllocLock } from "./state.js";

/** The non-root login of the lab: authorized by key, no passwordless sudo (sudo asks for a password). */
export const NON_ROOT_USER = "medic-lab";

/** Creates the system user once per machine; safe when several labs ask at the same time. */
export function ensureNonRootUser(): Promise<void> {
  return withAllocLock(async () => {
    if ((await run(["id", "-u", NON_ROOT_USER])).code !== 0) {
      await runOk(["useradd", "--system", "--create-home", "--shell", "/bin/bash", NON_ROOT_USER]);
    }
    // useradd leaves "!" (locked) in shadow, and sshd without PAM refuses locked accounts even for
    // key logins; "*" means "no password" without the lock.
    await runOk(["usermod", "-p", "*", NON_ROOT_USER]);
  });
}
