import { describe, expect, it } from 'vitest';
import { formatVersion, maxSatisfying, parseRange, parseSkillRef, parseVersion, type Version } from '../../engine/skills/semver.js';

const versions = ['0.1.0', '0.1.5', '0.2.0', '1.0.0', '1.2.0', '1.2.7', '1.10.1', '2.0.0', '2.3.4'].map((v) => parseVersion(v) as Version);
const pick = (range: string) => {
  const r = parseRange(range);
  if (!r) throw new Error(`bad range ${range}`);
  const v = maxSatisfying(versions, r);
  return v ? formatVersion(v) : null;
};

describe('skill versions and ranges', () => {
  it('parses plain MAJOR.MINOR.PATCH only', () => {
    expect(parseVersion('1.2.3')).toEqual({ major: 1, minor: 2, patch: 3 });
    for (const bad of ['1.2', '01.2.3', '1.2.3-beta', 'v1.2.3', '1.2.3.4', '']) expect(parseVersion(bad)).toBeNull();
  });

  it('resolves each range form to the newest matching version', () => {
    expect(pick('1')).toBe('1.10.1'); // newest 1.x, not 2.x
    expect(pick('2')).toBe('2.3.4');
    expect(pick('1.2')).toBe('1.2.7');
    expect(pick('1.2.0')).toBe('1.2.0');
    expect(pick('=1.2.0')).toBe('1.2.0');
    expect(pick('^1.2')).toBe('1.10.1');
    expect(pick('^1.11')).toBeNull();
    expect(pick('~1.2')).toBe('1.2.7');
    expect(pick('~1.2.3')).toBe('1.2.7');
    expect(pick('^0.1')).toBe('0.1.5'); // 0.x: the minor is fixed, as in npm
    expect(pick('^0.1.2')).toBe('0.1.5');
    expect(pick('*')).toBe('2.3.4');
    expect(pick('latest')).toBe('2.3.4');
    expect(pick('')).toBe('2.3.4');
    expect(pick('3')).toBeNull();
    expect(pick('1.3')).toBeNull();
  });

  it('parses skill references', () => {
    expect(parseSkillRef('csv-to-json@1')).toMatchObject({ name: 'csv-to-json', range: { text: '1' } });
    expect(parseSkillRef('csv-to-json')).toMatchObject({ name: 'csv-to-json', range: { text: '*' } });
    expect(parseSkillRef('json-transform@^1.2')).toMatchObject({ name: 'json-transform', range: { text: '^1.2' } });
    for (const bad of ['csv-to-json@', 'CSV@1', '@1', 'a@1.x', 'a@>=1', 'a@1@2', 'a b@1']) expect(parseSkillRef(bad)).toBeNull();
  });
});
