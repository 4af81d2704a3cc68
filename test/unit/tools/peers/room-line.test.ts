import { describe, expect, it } from 'vitest';
import { parseRoomLine } from '../../../../src/tools/peers/room-line.js';

const ME = '127.0.0.1:5001';

describe('parseRoomLine', () => {
  it('[CHAT-JOIN-1] [CHAT-COUNT-1] reads a greeting, with user or users', () => {
    expect(
      parseRoomLine('Connected to the chat server (1 user online)', ME)
    ).toEqual({ kind: 'greeting', count: 1 });
    expect(
      parseRoomLine('Connected to the chat server (12 users online)', ME)
    ).toEqual({ kind: 'greeting', count: 12 });
  });

  it('[CHAT-COUNT-1] treats a count whose noun disagrees as unknown', () => {
    for (const line of [
      'Connected to the chat server (1 users online)',
      'Connected to the chat server (2 user online)',
      'Connected to the chat server (02 users online)'
    ]) {
      expect(parseRoomLine(line, ME)).toEqual({ kind: 'unknown', raw: line });
    }
  });

  it('[CHAT-ADDR-1] reads join and leave notices for IPv4 and IPv6 peers', () => {
    expect(
      parseRoomLine('New user 10.1.2.3:4567 entered (2 users online)', ME)
    ).toEqual({ kind: 'join', addr: '10.1.2.3:4567', count: 2 });
    expect(
      parseRoomLine('The user [::1]:4567 left (0 users online)', ME)
    ).toEqual({ kind: 'leave', addr: '[::1]:4567', count: 0 });
  });

  it('[CHAT-MSG-1] [CHAT-MSG-2] reads relayed lines and normalises [You]', () => {
    expect(parseRoomLine('[You] hi [there]', ME)).toEqual({
      kind: 'message',
      addr: ME,
      text: 'hi [there]'
    });
    expect(parseRoomLine('[[::1]:80] over v6', ME)).toEqual({
      kind: 'message',
      addr: '[::1]:80',
      text: 'over v6'
    });
  });

  it('[CHAT-MSG-1] treats the own address in place of [You] as unknown', () => {
    expect(parseRoomLine(`[${ME}] hi`, ME).kind).toBe('unknown');
  });

  it('reads errors and the shutdown notice', () => {
    expect(parseRoomLine('Error: line too long', ME)).toEqual({
      kind: 'error',
      text: 'line too long'
    });
    expect(parseRoomLine('Server shutting down', ME)).toEqual({
      kind: 'closing'
    });
  });

  it('[CLUSTER-2] reads a cluster daemon\'s "available again" as a notice', () => {
    expect(parseRoomLine('Chat is available again', ME)).toEqual({
      kind: 'notice',
      text: 'Chat is available again'
    });
    expect(parseRoomLine('Chat is available again!', ME).kind).toBe('unknown');
  });

  it('[CHAT-WIRE-4] treats merged, cut and garbage lines as unknown', () => {
    for (const line of [
      '[10.0.0.1:1] x[10.0.0.2:2] y',
      '[You] xNew user 10.0.0.2:2 entered (2 users online)',
      'Connected to the chat server (2 users online)[You] x',
      'New user 10.0.0.2:2 entered (2 users onl',
      'ine)',
      'Server shutting down!',
      '\u0016\u0003\u0001garbage',
      ''
    ]) {
      expect(parseRoomLine(line, ME)).toEqual({ kind: 'unknown', raw: line });
    }
  });

  it('keeps text that merely mentions notices as a message', () => {
    expect(
      parseRoomLine('[10.0.0.1:1] Error: Server shutting down', ME)
    ).toEqual({
      kind: 'message',
      addr: '10.0.0.1:1',
      text: 'Error: Server shutting down'
    });
  });
});
