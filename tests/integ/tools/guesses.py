#!/usr/bin/env python3
"""Password guesses and login floods against the XML login, for the
brute-force tests.

usage: guesses.py parallel SOURCE USER COUNT
       guesses.py together SOURCE PREFIX COUNT
       guesses.py shared SOURCE USER COUNT
       guesses.py hangup SOURCE USER COUNT
       guesses.py phones SOURCE USER COUNT
       guesses.py flood COUNT SOURCE...

parallel: COUNT logins from SOURCE each get their form. Then all send a
wrong password for USER at the same moment, and it prints how many
responses of each status line came back.
together: COUNT users PREFIX0, PREFIX1 ... log in from SOURCE at the
same moment, each with its right password PREFIXn-secret, as phones
behind one NAT address do after a power cut. It prints how many got a
cookie.
shared: COUNT logins of USER, with its right password USER-secret, from
SOURCE at the same moment, as phones that share one account do; prints
how many got a cookie.
hangup: COUNT logins from SOURCE, one after another, each send a wrong
password for USER and close the connection 50 ms later, before the
answer when the check takes longer.
phones: COUNT phone logins of USER from SOURCE post a wrong password at
the same moment, as the phone's form login does, and close their
connections 200 ms later without reading the response.
flood: COUNT init requests, spread over one keep-alive connection per
SOURCE, that leave their logins unfinished; prints how many got a form.
All exit 0 when every step could be sent.
"""
import collections
import sys
import threading
import time

import xmllogin

HOST = 'vpn.example.net'
PATH = '/staff'


def login_form(conn):
    """Send the init request on conn and return the opaque element."""
    init = xmllogin.INIT.format(host=HOST, path=PATH)
    _, body = xmllogin.request(conn, HOST, PATH, init)
    found = xmllogin.re.search(r'<opaque.*?</opaque>', body, xmllogin.re.S)
    return found.group(0) if found else None


def wrong_reply(opaque, user, i):
    return xmllogin.REPLY.format(opaque=opaque, user=user,
                                 password='wrong-{}'.format(i))


def at_once(count, reply):
    """Send reply(i, opaque) on count logins at once; count the results."""
    conns = [xmllogin.connect(HOST) for _ in range(count)]
    forms = [login_form(c) for c in conns]
    for conn in conns:
        conn.settimeout(70)   # past the server's 60 s for a response
    start = threading.Barrier(count)
    status = collections.Counter()
    lock = threading.Lock()

    def count_result(key):
        # Counter's += reads and writes in two steps: two threads that
        # end at once could lose a count.
        with lock:
            status[key] += 1

    def send(i):
        start.wait()
        try:
            head, _ = xmllogin.request(conns[i], HOST, PATH,
                                       reply(i, forms[i]))
            count_result(head.splitlines()[0])
            if 'Set-Cookie: webvpn=' in head:
                count_result('cookie')
        except OSError as err:
            count_result('no answer: {}'.format(err))

    threads = [threading.Thread(target=send, args=(i,))
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for line, n in sorted(status.items()):
        print('{} {}'.format(n, line))
    return 0


def parallel(user, count):
    return at_once(count, lambda i, opaque: wrong_reply(opaque, user, i))


def shared(user, count):
    reply = xmllogin.REPLY.format(opaque='{opaque}', user=user,
                                  password=user + '-secret')
    return at_once(count, lambda i, opaque: reply.format(opaque=opaque))


def together(prefix, count):
    def right(i, opaque):
        user = '{}{}'.format(prefix, i)
        return xmllogin.REPLY.format(opaque=opaque, user=user,
                                     password=user + '-secret')
    return at_once(count, right)


def hangup(user, count):
    for i in range(count):
        conn = xmllogin.connect(HOST)
        reply = wrong_reply(login_form(conn), user, i)
        head = ('POST {} HTTP/1.1\r\nHost: {}\r\nX-Aggregate-Auth: 1\r\n'
                'Content-Type: application/xml\r\nContent-Length: {}\r\n'
                '\r\n').format(PATH, HOST, len(reply))
        conn.sendall(head.encode() + reply.encode())
        # Long enough for the request to arrive whole, not for the check.
        time.sleep(0.05)
        conn.close()
    print('sent {}'.format(count))
    return 0


def phones(user, count):
    body = 'username={}&password=wrong&Login=Login'.format(user)
    head = ('POST {} HTTP/1.1\r\nHost: {}\r\n'
            'User-Agent: Cisco SVC IPPhone Client v1.0 (1.0)\r\n'
            'Content-Type: application/x-www-form-urlencoded\r\n'
            'Content-Length: {}\r\n\r\n').format(PATH, HOST, len(body))
    conns = [xmllogin.connect(HOST) for _ in range(count)]
    for conn in conns:
        conn.sendall(head.encode() + body.encode())
    time.sleep(0.2)
    for conn in conns:
        conn.close()
    print('sent {}'.format(count))
    return 0


def flood(count, sources):
    forms = collections.Counter()

    def inits(source, n):
        conn = xmllogin.connect(HOST, source)
        for _ in range(n):
            if login_form(conn) is None:
                return
            forms[source] += 1

    share = -(-count // len(sources))
    threads = [threading.Thread(target=inits, args=(s, share))
               for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('forms {}'.format(sum(forms.values())))
    return 0


def main():
    mode = sys.argv[1]
    if mode == 'flood':
        return flood(int(sys.argv[2]), sys.argv[3:])
    xmllogin.SOURCE = sys.argv[2]
    user, count = sys.argv[3], int(sys.argv[4])
    if mode == 'parallel':
        return parallel(user, count)
    if mode == 'together':
        return together(user, count)
    if mode == 'shared':
        return shared(user, count)
    if mode == 'phones':
        return phones(user, count)
    return hangup(user, count)


if __name__ == '__main__':
    sys.exit(main())
