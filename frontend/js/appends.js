// Streamed output from the live feed, appended to the open session in place.
//
// A change to a session whose output grew carries the appended chunks (changes_since:
// `appends: [{instanceId, offset, length, text, at}]`, offsets and lengths in
// characters, as the server's outputLength counts them) and the facts a page checks
// before it trusts them (`updatedAt`, `status`, `messageCount`, `instanceStatuses`).
// When every chunk continues the output the page shows and nothing else changed, the
// views append them without fetching the session again; otherwise (a gap, another
// kind of write, a chunk that is not there) they fetch it as before.

/** Characters as the server counts them (code points), not UTF-16 units. */
function characters(text) {
  let pairs = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs += 1;
        i += 1;
      }
    }
  }
  return text.length - pairs;
}

/**
 * `session` with the change's appended chunks added to its outputs, or null when the
 * change cannot be applied in place (then fetch the session).
 */
export function withAppends(session, change) {
  const appends = change && change.kind === 'upserted' ? change.appends : null;
  if (!Array.isArray(appends) || !appends.length) return null;
  if (appends[appends.length - 1].at !== change.updatedAt) return null; // written after
  if (change.status !== session.status) return null;
  if (change.messageCount !== (session.chatHistory || []).length) return null;
  const instances = (session.instances || []).map((inst) => ({ ...inst }));
  const statuses = change.instanceStatuses || [];
  if (statuses.length !== instances.length
      || statuses.some((s, k) => s.instanceId !== instances[k].instanceId
                                 || s.status !== instances[k].status)) return null;
  const lengths = new Map();
  for (const chunk of appends) {
    const inst = instances.find((i) => i.instanceId === chunk.instanceId);
    if (!inst) return null;
    const output = typeof inst.output === 'string' ? inst.output : '';
    if (!lengths.has(inst.instanceId)) lengths.set(inst.instanceId, characters(output));
    const shown = lengths.get(inst.instanceId);
    if (chunk.offset > shown) return null; // a gap: something was appended we never saw
    if (chunk.offset + chunk.length <= shown) continue; // shown already
    const fresh = chunk.offset === shown ? chunk.text
      : Array.from(chunk.text).slice(shown - chunk.offset).join('');
    inst.output = output + fresh;
    lengths.set(inst.instanceId, chunk.offset + chunk.length);
  }
  return { ...session, instances, updatedAt: change.updatedAt };
}
