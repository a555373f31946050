"""The DNS facts both clouds' ingress share: the one TTL of the records the program manages.

`*.<baseDomain>` is the only record the program writes (components/gcp/ingress.py: a Cloud DNS A
record on the reserved address; components/aws/ingress.py: a Route 53 CNAME to NGINX's NLB). At a
standby's promotion it is rewritten to the standby's address, and a resolver keeps serving the lost
region's answer for up to the record's TTL: the TTL adds to the RTO of a region loss.

60 s, the low end of what Route 53 recommends for any record and its usual choice for records
that change in a fast failover ("Best practices for Amazon Route 53 DNS", Choosing TTL values:
"recommended range ... 60 to 172,800 seconds", "setting the TTL to 60 or 120 seconds is a common
choice"; "Values specific for failover records": "60 seconds or less" for a health-checked record).
Cloud DNS takes the TTL as given (dns v1 ResourceRecordSet.ttl, "Number of seconds that this
ResourceRecordSet can be cached by resolvers"). Neither record is an alias: a Route 53 alias record
has no TTL of its own (Route 53 uses the target's), but the program's AWS record is a plain CNAME,
whose TTL Route 53 requires and serves.
"""

from __future__ import annotations

FAILOVER_DNS_TTL_SECONDS = 60
