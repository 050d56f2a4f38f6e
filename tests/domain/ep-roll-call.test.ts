import { describe, expect, it } from 'vitest';
import {
  EP_ROLL_CALL_FILES,
  decodeXmlEntities,
  loadEpRollCall,
  parseEpRollCall,
  type EpChoice,
  type EpRollCall,
  type EpVote,
} from '../support/ep-roll-call.js';

function tally(vote: EpVote): {
  for: number;
  against: number;
  abstention: number;
} {
  const t = { for: 0, against: 0, abstention: 0 };
  for (const v of vote.votes) {
    if (v.choice === 'yes') t.for++;
    else if (v.choice === 'no') t.against++;
    else t.abstention++;
  }
  return t;
}

const EXPECTED_GROUPS = ['S&D', 'PPE', 'Renew', 'Verts/ALE', 'ECR', 'PfE', 'ESN', 'The Left', 'NI'];

describe('parseEpRollCall (synthetic)', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<PV.RollCallVoteResults xmlns:text="http://openoffice.org/2000/text" Sitting.Date="2025-01-02">
<RollCallVoteResults.Titles><RollCallVoteResults.Title.Text Language="EN">MINUTES<text:line-break/>Annex</RollCallVoteResults.Title.Text></RollCallVoteResults.Titles>
<RollCallVote.Result Identifier="1" DlvId="9" Date="2025-01-02 12:00:00">
  <RollCallVote.Description.Text>A10-0001/2025 &#8211; O&apos;Brien &amp; Co &#x2013; Am 1</RollCallVote.Description.Text>
  <Result.For Number="2">
    <Result.PoliticalGroup.List Identifier="S&amp;D">
      <PoliticalGroup.Member.Name  MepId="10" PersId="100">
        Müller &lt;A&gt;
      </PoliticalGroup.Member.Name>
      <PoliticalGroup.Member.Name MepId="11">Smith</PoliticalGroup.Member.Name>
    </Result.PoliticalGroup.List>
  </Result.For>
  <Result.Against Number="1">
    <Result.PoliticalGroup.List Identifier="PPE"><PoliticalGroup.Member.Name MepId="12" PersId="120">Doe</PoliticalGroup.Member.Name></Result.PoliticalGroup.List>
  </Result.Against>
  <Result.Abstention Number="0"/>
  <Intentions Code="100">
    <Intentions.Result.Abstention><Member.Name MepId="12" PersId="120">Doe</Member.Name></Intentions.Result.Abstention>
    <Intentions.Result.For><Member.Name MepId="99" PersId="990">Ghost</Member.Name></Intentions.Result.For>
  </Intentions>
</RollCallVote.Result>
<RollCallVote.Result Identifier="2" Date="2025-01-02 12:01:00">
  <RollCallVote.Description.Text>Second</RollCallVote.Description.Text>
  <Result.For Number="0"></Result.For>
  <Result.Against Number="1"><Result.PoliticalGroup.List Identifier="NI"><PoliticalGroup.Member.Name MepId="13" PersId="130">Late</PoliticalGroup.Member.Name></Result.PoliticalGroup.List></Result.Against>
  <Result.Abstention Number="1"><Result.PoliticalGroup.List Identifier="S&amp;D"><PoliticalGroup.Member.Name MepId="10" PersId="100">Mueller</PoliticalGroup.Member.Name></Result.PoliticalGroup.List></Result.Abstention>
  <Intentions Code="100"><Intentions.Result.Against><Member.Name MepId="13" PersId="130">Late</Member.Name></Intentions.Result.Against></Intentions>
</RollCallVote.Result>
<VoteTitles><VoteTitle DlvId="9">Some &amp; title</VoteTitle></VoteTitles>
</PV.RollCallVoteResults>`;

  it('reads votes, members, groups, entities and corrections', () => {
    const rc = parseEpRollCall(xml);
    expect(rc.sittingDate).toBe('2025-01-02');
    expect(rc.votes).toHaveLength(2);
    const [v1, v2] = rc.votes;
    expect(v1?.identifier).toBe('1');
    expect(v1?.date).toBe('2025-01-02 12:00:00');
    expect(v1?.description).toBe("A10-0001/2025 \u2013 O'Brien & Co \u2013 Am 1");
    expect(v1?.title).toBe('Some & title');
    expect(v1?.dlvId).toBe('9');
    expect(v1?.official).toEqual({ for: 2, against: 1, abstention: 0 });
    expect(v1?.votes.map((v) => [v.member.mepId, v.member.name, v.member.group, v.choice])).toEqual([
      ['10', 'Müller <A>', 'S&D', 'yes'],
      ['11', 'Smith', 'S&D', 'yes'],
      ['12', 'Doe', 'PPE', 'no'],
    ]);
    expect(v1?.votes[1]?.member.persId).toBeNull();
    expect(v1?.corrections).toEqual([
      {
        member: { mepId: '12', persId: '120', name: 'Doe', group: 'PPE' },
        intended: 'abstain',
      },
      {
        member: { name: 'Ghost', mepId: '99', persId: '990' },
        intended: 'yes',
      },
    ]);
    expect(v2?.title).toBeUndefined();
    expect(v2?.official).toEqual({ for: 0, against: 1, abstention: 1 });
    // first name wins, and the vote refers to the same member object
    expect(v2?.votes.find((v) => v.member.mepId === '10')?.member).toBe(v1?.votes[0]?.member);
    expect(v2?.votes.find((v) => v.member.mepId === '10')?.member.name).toBe('Müller <A>');
    expect(v2?.corrections).toEqual([
      {
        member: { mepId: '13', persId: '130', name: 'Late', group: 'NI' },
        intended: 'no',
      },
    ]);
    expect(rc.members.map((m) => m.mepId)).toEqual(['10', '11', '12', '13']);
    expect(rc.groups).toEqual(['S&D', 'PPE', 'NI']);
  });

  it('decodes XML entities', () => {
    expect(decodeXmlEntities('a &amp; b &lt;&gt; &quot;x&quot; &apos;y&apos; &#8211; &#x142; &unknown;')).toBe(
      'a & b <> "x" \'y\' \u2013 \u0142 &unknown;',
    );
  });

  it('rejects malformed input', () => {
    expect(() => parseEpRollCall('<Other/>')).toThrow(/PV\.RollCallVoteResults/);
    expect(() => parseEpRollCall('<PV.RollCallVoteResults><a></b></PV.RollCallVoteResults>')).toThrow();
    expect(() =>
      parseEpRollCall(
        '<PV.RollCallVoteResults><RollCallVote.Result Identifier="1"><Result.For Number="x"/></RollCallVote.Result></PV.RollCallVoteResults>',
      ),
    ).toThrow(/Number/);
  });
});

describe.each(EP_ROLL_CALL_FILES)('real EP roll-call data: %s', (file) => {
  let cached: EpRollCall | undefined;
  const rc = (): EpRollCall => (cached ??= loadEpRollCall(file));

  it('has a sitting date matching the file name and at least one vote', () => {
    const date = /(\d{4}-\d{2}-\d{2})/.exec(file)?.[1];
    expect(rc().sittingDate).toBe(date);
    expect(rc().votes.length).toBeGreaterThan(0);
    for (const v of rc().votes) {
      expect(v.identifier).toMatch(/^\d+$/);
      expect(v.date.startsWith(rc().sittingDate)).toBe(true);
      expect(v.description.length).toBeGreaterThan(0);
      expect(v.title?.length ?? 0).toBeGreaterThan(0);
    }
    expect(new Set(rc().votes.map((v) => v.identifier)).size).toBe(rc().votes.length);
  });

  it('every vote: parsed member votes per choice equal the official totals', () => {
    const mismatches: string[] = [];
    for (const v of rc().votes) {
      const t = tally(v);
      if (t.for !== v.official.for || t.against !== v.official.against || t.abstention !== v.official.abstention) {
        mismatches.push(`${v.identifier}: parsed ${JSON.stringify(t)} vs official ${JSON.stringify(v.official)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('no member votes twice in the same vote', () => {
    for (const v of rc().votes) {
      const ids = v.votes.map((x) => x.member.mepId);
      expect(new Set(ids).size, `vote ${v.identifier}`).toBe(ids.length);
    }
  });

  it('has a plausible, well-formed membership', () => {
    const { members, votes } = rc();
    expect(members.length).toBeGreaterThanOrEqual(600);
    expect(members.length).toBeLessThanOrEqual(720);
    expect(new Set(members.map((m) => m.mepId)).size).toBe(members.length);
    for (const m of members) {
      expect(m.mepId).toMatch(/^\d+$/);
      expect(m.persId).toMatch(/^\d+$/);
      expect(m.name).toBe(m.name.trim());
      expect(m.name.length).toBeGreaterThan(0);
      expect(m.name).not.toMatch(/&(amp|apos|quot|lt|gt|#\d+);/);
    }
    // every member in any vote is in `members`, and vice versa
    const ids = new Set(members.map((m) => m.mepId));
    const voted = new Set(votes.flatMap((v) => v.votes.map((x) => x.member.mepId)));
    expect(voted).toEqual(ids);
    // no single vote exceeds the membership of the house
    for (const v of votes) expect(v.votes.length).toBeLessThanOrEqual(720);
  });

  it('uses the expected political groups, in first-appearance order', () => {
    const { groups, members, votes } = rc();
    expect([...groups].sort()).toEqual([...EXPECTED_GROUPS].sort());
    expect(new Set(members.map((m) => m.group))).toEqual(new Set(groups));
    const firstSeen: string[] = [];
    for (const v of votes)
      for (const x of v.votes) if (!firstSeen.includes(x.member.group)) firstSeen.push(x.member.group);
    expect(groups).toEqual(firstSeen);
  });

  it('keeps corrections/intentions separate from the counted votes', () => {
    const choices: readonly EpChoice[] = ['yes', 'no', 'abstain'];
    const all = rc().votes.flatMap((v) => v.corrections);
    expect(all.length).toBeGreaterThan(0);
    for (const c of all) {
      expect(choices).toContain(c.intended);
      expect(c.member.name.length).toBeGreaterThan(0);
    }
  });
});

describe('real EP roll-call data: known facts', () => {
  it('18 September 2024: two motions for resolutions with the official totals', () => {
    const rc = loadEpRollCall('rcv_list_pv-10-2024-09-18-rcv-en.xml');
    expect(rc.votes.map((v) => [v.identifier, v.official])).toEqual([
      ['169418', { for: 516, against: 129, abstention: 27 }],
      ['169419', { for: 522, against: 127, abstention: 28 }],
    ]);
    expect(rc.votes[0]?.description).toBe('B10-0020/2024 \u2013 Motion for a resolution');
    // Camara only appears as an intention, never as a voter
    const camara = rc.votes[0]?.corrections.find((c) => c.member.name === 'Camara');
    expect(camara).toEqual({
      member: { name: 'Camara', mepId: '7473', persId: '256915' },
      intended: 'yes',
    });
    expect(rc.members.find((m) => m.mepId === '7473')).toBeUndefined();
  });

  it('11 March 2025: nine votes, corrections resolved to known members', () => {
    const rc = loadEpRollCall('rcv_list_pv-10-2025-03-11-rcv-en.xml');
    expect(rc.votes).toHaveLength(9);
    const v = rc.votes.find((x) => x.identifier === '172102');
    expect((v?.official.for ?? 0) + (v?.official.against ?? 0) + (v?.official.abstention ?? 0)).toBe(v?.votes.length);
    for (const x of rc.votes) for (const c of x.corrections) expect('group' in c.member).toBe(true);
  });
});
