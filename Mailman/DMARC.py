"""DMARC policy lookups for dmarc_moderation_action.

A post is "DMARC-prohibited" when the domain of its From: address publishes
a DMARC policy asking receivers to refuse mail that fails alignment, which
is what a list's resent copy does.  The record is the TXT record at
_dmarc.<from domain>; when there is none there, the one at the
organizational domain (example.co.uk for mail.example.co.uk) applies, where
its sp= (subdomain policy) tag wins over p=.

Outcome of a lookup, as 2.1 decided it:

  * p=reject                                  -> prohibited
  * p=quarantine, with the list's dmarc_quarantine_moderation_action
                                              -> prohibited
  * p=none, with dmarc_none_moderation_action and the quarantine flag,
    and an action of Munge From or Wrap Message -> prohibited
  * no record (NXDOMAIN, no answer, no v=DMARC1 record)
                                              -> look at the org domain
  * more than one v=DMARC1 record             -> ignored (RFC 7489)
  * any other DNS failure (no name servers, timeout, SERVFAIL...)
                                              -> prohibited: we fail
    closed, since a receiver might well see the record we missed.

The resolver uses the system configuration, or, when the site sets
DMARC_RESOLVER_NAMESERVERS (a list of addresses), those servers on
DMARC_RESOLVER_PORT.  DMARC_RESOLVER_TIMEOUT and DMARC_RESOLVER_LIFETIME
bound each query.

The organizational domain comes from the Public Suffix List when a copy is
present on this machine -- data/public_suffix_list.dat, or the file named
by a file: DMARC_ORGANIZATIONAL_DOMAIN_DATA_URL -- and otherwise from a
small built-in table of common second-level registries.  Nothing is ever
downloaded while mail is processed.
"""

import os
import re

from Mailman import mm_cfg
from Mailman.Logging.Syslog import syslog

# A lookup that found nothing decisive at this name.
CONTINUE = 'continue'

# Second-level public suffixes commonly seen in mail domains, used when no
# copy of the Public Suffix List is available.  Anything else is treated
# as a one-label suffix (example.com, example.de).
BUILTIN_SUFFIXES = frozenset("""
    ac.at co.at gv.at or.at
    asn.au com.au edu.au gov.au id.au net.au org.au
    com.br edu.br gov.br net.br org.br
    com.cn edu.cn gov.cn net.cn org.cn
    com.co edu.co gov.co net.co org.co
    com.ar edu.ar gob.ar net.ar org.ar
    com.eg edu.eg gov.eg
    com.es edu.es gob.es nom.es org.es
    com.gr edu.gr gov.gr net.gr org.gr
    com.hk edu.hk gov.hk net.hk org.hk
    ac.id co.id go.id or.id web.id
    ac.il co.il gov.il net.il org.il
    ac.in co.in edu.in gov.in net.in org.in res.in
    ac.jp ad.jp co.jp ed.jp go.jp gr.jp lg.jp ne.jp or.jp
    ac.kr co.kr go.kr ne.kr or.kr re.kr
    com.mx edu.mx gob.mx net.mx org.mx
    com.my edu.my gov.my net.my org.my
    ac.nz co.nz geek.nz gen.nz govt.nz net.nz org.nz school.nz
    com.pe edu.pe gob.pe org.pe
    com.ph edu.ph gov.ph net.ph org.ph
    com.pk edu.pk gov.pk net.pk org.pk
    com.pl net.pl org.pl
    com.pt edu.pt gov.pt org.pt
    com.ru net.ru org.ru
    com.sa edu.sa gov.sa
    com.sg edu.sg gov.sg net.sg org.sg
    ac.th co.th go.th in.th or.th
    com.tr edu.tr gen.tr gov.tr net.tr org.tr
    com.tw edu.tw gov.tw net.tw org.tw
    com.ua net.ua org.ua
    ac.uk co.uk gov.uk ltd.uk me.uk net.uk nhs.uk org.uk plc.uk sch.uk
    com.uy edu.uy gub.uy org.uy
    com.ve co.ve gob.ve org.ve
    com.vn edu.vn gov.vn net.vn org.vn
    ac.za co.za gov.za net.za org.za web.za
""".split())

PSL_FILE_NAME = 'public_suffix_list.dat'

# The parsed list, with the (path, mtime, size) it was read from, so that a
# refreshed file is noticed.
_psl_cache = {'stamp': None, 'rules': None}


# ------------------------------------------------------------------ suffixes
def _psl_path():
    url = getattr(mm_cfg, 'DMARC_ORGANIZATIONAL_DOMAIN_DATA_URL', '') or ''
    if url.startswith('file://'):
        return url[len('file://'):]
    if url.startswith('/'):
        return url
    return os.path.join(mm_cfg.DATA_DIR, PSL_FILE_NAME)


def _parse_psl(text):
    """Rules of the list as a dict: rule (labels joined by '.') -> set of
    kinds: 'normal', 'wildcard' (*.rule) and 'exception' (!rule)."""
    rules = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('//'):
            continue
        rule = line.split()[0].lower()
        try:
            rule = rule.encode('idna').decode('ascii') if not rule.isascii() \
                else rule
        except UnicodeError:
            continue
        if rule.startswith('!'):
            rules.setdefault(rule[1:], set()).add('exception')
        elif rule.startswith('*.'):
            rules.setdefault(rule[2:], set()).add('wildcard')
        else:
            rules.setdefault(rule, set()).add('normal')
    return rules


def _load_psl():
    path = _psl_path()
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = (path, st.st_mtime_ns, st.st_size)
    if _psl_cache['stamp'] == stamp:
        return _psl_cache['rules']
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            rules = _parse_psl(f.read())
    except OSError as error:
        syslog('error', 'DMARC: cannot read the public suffix list %s: %s',
               path, error)
        return None
    _psl_cache['stamp'] = stamp
    _psl_cache['rules'] = rules
    return rules


def _suffix_length(labels, rules):
    """Number of labels of the public suffix of LABELS (a domain split on
    dots) under the Public Suffix List RULES."""
    best = 1    # the implicit rule "*": the top-level label
    for start in range(len(labels)):
        candidate = '.'.join(labels[start:])
        kinds = rules.get(candidate, ())
        length = len(labels) - start
        if 'exception' in kinds:
            # An exception rule wins over everything, and makes its
            # leftmost label part of the registrable name.
            return length - 1
        if 'normal' in kinds and length > best:
            best = length
        if 'wildcard' in kinds and start > 0 and length + 1 > best:
            best = length + 1
    return best


def organizational_domain(domain):
    """The organizational domain of DOMAIN (RFC 7489 section 3.2)."""
    domain = domain.lower().rstrip('.')
    labels = [label for label in domain.split('.') if label]
    if len(labels) <= 1:
        return domain
    rules = _load_psl()
    if rules:
        suffix = _suffix_length(labels, rules)
    else:
        suffix = 2 if '.'.join(labels[-2:]) in BUILTIN_SUFFIXES else 1
    if suffix >= len(labels):
        return domain
    return '.'.join(labels[-(suffix + 1):])


# ------------------------------------------------------------------ DNS
def make_resolver():
    """A dnspython resolver set up from the site's DMARC_RESOLVER_*
    settings.  Raises dns.exception.DNSException when the system has no
    usable resolver configuration."""
    import dns.resolver
    nameservers = getattr(mm_cfg, 'DMARC_RESOLVER_NAMESERVERS', None)
    port = getattr(mm_cfg, 'DMARC_RESOLVER_PORT', 53)
    if nameservers:
        if isinstance(nameservers, str):
            nameservers = nameservers.replace(',', ' ').split()
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        resolver = dns.resolver.Resolver()
    if port:
        resolver.port = int(port)
    resolver.timeout = float(mm_cfg.DMARC_RESOLVER_TIMEOUT)
    resolver.lifetime = float(mm_cfg.DMARC_RESOLVER_LIFETIME)
    return resolver


def _txt_text(rdata):
    return b''.join(rdata.strings).decode('ascii', 'replace')


_DMARC_RECORD = re.compile(r'v\s*=\s*DMARC1\s*(;|$)')


def parse_record(record):
    """The tags of a DMARC record as a dict (names lower-cased)."""
    tags = {}
    for item in record.split(';'):
        name, sep, value = item.partition('=')
        if sep:
            tags.setdefault(name.strip().lower(), value.strip())
    return tags


def query_records(dmarc_name, resolver=None):
    """TXT records at DMARC_NAME that are DMARC records.

    Returns (records, names): the list of v=DMARC1 record texts found for
    the name (following CNAMEs) and the owner names they came from.
    Returns CONTINUE when the name does not exist or has no TXT data.
    Raises dns.exception.DNSException on other failures."""
    import dns.rdatatype
    import dns.resolver
    if resolver is None:
        resolver = make_resolver()
    try:
        answer = resolver.resolve(dmarc_name, 'TXT', search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return CONTINUE
    cnames = {}
    texts = {}
    for rrset in answer.response.answer:
        owner = rrset.name.to_text().lower()
        if rrset.rdtype == dns.rdatatype.CNAME:
            cnames[owner] = rrset[0].target.to_text().lower()
        elif rrset.rdtype == dns.rdatatype.TXT:
            texts.setdefault(owner, []).extend(_txt_text(r) for r in rrset)
    # Follow the CNAME chain from the asked-for name to the final owner.
    name = dmarc_name.lower().rstrip('.') + '.'
    seen = {name}
    while name in cnames and cnames[name] not in seen:
        name = cnames[name]
        seen.add(name)
    records = [text for text in texts.get(name, [])
               if _DMARC_RECORD.match(text)]
    return records, name


def _policy_check(mlist, address, dmarc_name, org=False, resolver=None):
    """True (prohibited), False (not), or CONTINUE (no record here)."""
    try:
        import dns.exception
        import dns.resolver
    except ImportError:
        syslog('error', 'DMARC: dnspython is not installed; '
               'dmarc_moderation_action of list %s cannot be applied',
               mlist.internal_name())
        return False
    try:
        result = query_records(dmarc_name, resolver)
    except dns.resolver.NoNameservers as error:
        # Typically a DNSSEC validation failure: a receiver that does not
        # validate may well see the record.
        syslog('error', 'DMARC: no name server answered for %s (%s); '
               'treating the domain as prohibited: %s',
               dmarc_name, address, error)
        return True
    except dns.exception.DNSException as error:
        syslog('error', 'DMARC: lookup of %s (%s) failed; treating the '
               'domain as prohibited: %s: %s', dmarc_name, address,
               type(error).__name__, error)
        return True
    if result is CONTINUE:
        return CONTINUE
    records, owner = result
    if not records:
        return CONTINUE
    if len(records) > 1:
        syslog('error', 'DMARC: %s has %d v=DMARC1 records; ignoring them '
               'as RFC 7489 requires', dmarc_name, len(records))
        return False
    record = records[0]
    tags = parse_record(record)
    policy = tags.get('sp') if org and tags.get('sp') else tags.get('p')
    if not policy:
        return CONTINUE
    policy = policy.lower()
    listname = mlist.real_name
    if policy == 'reject':
        syslog('vette', '%s: DMARC lookup for %s (%s) found p=reject in '
               '%s = %s', listname, address, dmarc_name, owner, record)
        return True
    if policy == 'quarantine' and mlist.dmarc_quarantine_moderation_action:
        syslog('vette', '%s: DMARC lookup for %s (%s) found p=quarantine '
               'in %s = %s', listname, address, dmarc_name, owner, record)
        return True
    if (policy == 'none' and mlist.dmarc_none_moderation_action
            and mlist.dmarc_quarantine_moderation_action
            and mlist.dmarc_moderation_action in (1, 2)):
        syslog('vette', '%s: DMARC lookup for %s (%s) found p=none in '
               '%s = %s', listname, address, dmarc_name, owner, record)
        return True
    return False


def is_dmarc_prohibited(mlist, address, resolver=None):
    """True if the DMARC policy of ADDRESS's domain means the list's
    dmarc_moderation_action applies to its posts."""
    address = (address or '').strip().lower()
    # Look from the right: a quoted local part may hold an '@'.
    at = address.rfind('@')
    if at < 1:
        return False
    domain = address[at + 1:].rstrip('.')
    if domain and not domain.isascii():
        try:
            domain = domain.encode('idna').decode('ascii')
        except UnicodeError:
            return False
    if not domain or not re.fullmatch(r'[a-z0-9._-]+', domain):
        return False
    if resolver is None:
        try:
            resolver = make_resolver()
        except ImportError:
            syslog('error', 'DMARC: dnspython is not installed; '
                   'dmarc_moderation_action of list %s cannot be applied',
                   mlist.internal_name())
            return False
        except Exception as error:
            # No resolver configuration at all: fail closed, as 2.1 did.
            syslog('error', 'DMARC: no DNS resolver available for %s; '
                   'treating the domain as prohibited: %s', address, error)
            return True
    result = _policy_check(mlist, address, '_dmarc.' + domain,
                           resolver=resolver)
    if result is not CONTINUE:
        return result
    org_domain = organizational_domain(domain)
    if org_domain != domain:
        result = _policy_check(mlist, address, '_dmarc.' + org_domain,
                               org=True, resolver=resolver)
        if result is not CONTINUE:
            return result
    return False


# The name 2.1 code (Utils.IsDMARCProhibited) used.
IsDMARCProhibited = is_dmarc_prohibited
