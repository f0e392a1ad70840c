// A debate's chat as rounds: who said what, round by round, so the argument can
// be followed across instances.

/**
 * Group messages (already in timestamp order) into rounds.
 *
 * A message's own `round` (a number the shell may store) decides when present.
 * Otherwise a round ends when an instance that already spoke in it speaks again;
 * messages of no instance (the person, the system) belong to the round they
 * fall in, in the "moderator" column (null).
 * @param {object[]} messages chatHistory
 * @param {number[]} chosen the instances compared (their columns come first)
 * @returns {{rounds: {number: number, by: Map<number|null, object[]>}[], speakers: (number|null)[]}}
 */
export function debateRounds(messages, chosen = []) {
  const rounds = [];
  let current = null;
  let spoke = new Set();
  const speakers = new Set();
  for (const m of messages || []) {
    const who = Number.isInteger(m.instanceId) ? m.instanceId : null;
    let number;
    if (Number.isInteger(m.round)) {
      number = m.round;
    } else if (!current || (who !== null && spoke.has(who))) {
      number = current ? current.number + 1 : 1;
    } else {
      number = current.number;
    }
    if (!current || current.number !== number) {
      current = rounds.find((r) => r.number === number);
      if (!current) {
        current = { number, by: new Map() };
        rounds.push(current);
      }
      spoke = new Set();
    }
    if (who !== null) spoke.add(who);
    speakers.add(who);
    if (!current.by.has(who)) current.by.set(who, []);
    current.by.get(who).push(m);
  }
  rounds.sort((a, b) => a.number - b.number);
  const order = [...chosen.filter((id) => speakers.has(id)),
    ...[...speakers].filter((id) => id !== null && !chosen.includes(id)).sort((a, b) => a - b)];
  if (speakers.has(null)) order.unshift(null);
  return { rounds, speakers: order };
}
