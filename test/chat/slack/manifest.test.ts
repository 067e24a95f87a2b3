import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMAND } from "../../../src/chat/slack/commands.js";

const ROOT = new URL("../../../", import.meta.url);
const SRC = new URL("src/chat/slack/", ROOT);

interface Manifest {
  features: {
    app_home: { home_tab_enabled: boolean };
    slash_commands: { command: string }[];
    bot_user: unknown;
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[] };
    interactivity: { is_enabled: boolean };
    socket_mode_enabled: boolean;
  };
}

// Bot scope each Web API method needs (docs.slack.dev method reference pages).
const SCOPE_OF: Record<string, string | null> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "conversations.open": "im:write",
  "usergroups.users.list": "usergroups:read",
  "views.publish": null,
  "views.open": null,
  "auth.test": null,
};

function sources(): string {
  const read = (dir: URL): string =>
    readdirSync(dir, { withFileTypes: true })
      .map((e) =>
        e.isDirectory()
          ? read(new URL(`${e.name}/`, dir))
          : e.name.endsWith(".ts")
            ? readFileSync(new URL(e.name, dir), "utf8")
            : "",
      )
      .join("\n");
  return read(SRC);
}

describe("manifest.yml", () => {
  const manifest = parse(readFileSync(new URL("manifest.yml", ROOT), "utf8")) as Manifest;
  const code = sources();

  it("declares the command, events and surfaces the code handles", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([COMMAND]);
    const events = [...code.matchAll(/app\.event\("([a-z_]+)"/g)].map((m) => m[1]!);
    expect(events.length).toBeGreaterThanOrEqual(3);
    const subscribed = manifest.settings.event_subscriptions.bot_events;
    for (const e of events) expect(subscribed.some((s) => s === e || s.startsWith(`${e}.`))).toBe(true);
    expect(subscribed).toEqual(expect.arrayContaining(["app_mention", "message.im", "app_home_opened"]));
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it("grants a scope for every Web API method the code calls", () => {
    const methods = new Set([...code.matchAll(/\.call(?:<[^>]*>)?\(\s*"([a-zA-Z.]+)"/g)].map((m) => m[1]!));
    expect(methods.size).toBeGreaterThan(4);
    const scopes = manifest.oauth_config.scopes.bot;
    for (const m of methods) {
      expect(Object.keys(SCOPE_OF), `scope of ${m} is not known to this test`).toContain(m);
      const scope = SCOPE_OF[m];
      if (scope) expect(scopes).toContain(scope);
    }
    // File uploads (filesUploadV2) and reading mentions and DMs.
    expect(scopes).toEqual(
      expect.arrayContaining(["files:write", "app_mentions:read", "im:history", "commands"]),
    );
  });
});
