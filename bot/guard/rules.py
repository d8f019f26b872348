"""Safety rules: high-precision patterns for crisis, prompt injection and clinical advice.

These decide before anything learned runs, because a missed crisis or an obeyed injection costs
more than a rare false alarm. Everything else (on topic or not) is learned: see `model.py`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_CHARS = 20_000  # longer input is cut before any rule runs (callers accept at most 4,000)


@dataclass(frozen=True)
class Text:
    """A message in the forms the rules match on."""

    raw: str  # normalised text, case kept
    low: str  # lowercase, apostrophes dropped, punctuation and newlines kept
    words: str  # lowercase words separated by single spaces
    plain: str  # HTML tags stripped, for embedding


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TAGS = re.compile(r"<[^<>]{0,500}>")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def prepare(text: object) -> Text:
    """Return the rule forms of a message (any input; never raises)."""
    s = text if isinstance(text, str) else str(text)
    s = s[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    s = unicodedata.normalize("NFKC", html.unescape(s))
    s = _CONTROL.sub(" ", _INVISIBLE.sub("", s)).translate(_QUOTES)
    low = re.sub(r"[^\S\n]+", " ", s.lower().replace("'", "")).strip()
    words = re.sub(r"[\W_]+", " ", low).strip()
    plain = re.sub(r"\s+", " ", _TAGS.sub(" ", s)).strip() or s.strip()
    return Text(raw=s, low=low, words=words, plain=plain)


def _any(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


# --------------------------------------------------------------------------- crisis rules
# Matched on the `words` form (lowercase, no apostrophes or punctuation).

_ORG_CONTEXT = (
    r"(?! (prevention|screening|risk|awareness|rates?|protocols?|policy|policies|program\w*"
    r"|training|assessments?|hotline|bundle|committee|data|metrics|patients?))"
)
CRISIS_PATTERNS = _compile(
    r"\b(kill|killing|hurt|hurting|harm|harming|cut|cutting|shoot|shooting|hang|hanging"
    r"|poison|poisoning|drown|drowning|starve|starving) (myself|my self|himself|herself"
    r"|themselves|themself)\b(?! (some )?(slack|off|short))",
    r"(?<!\bpatient )(?<!\bpatients )\bsuicid\w*\b" + _ORG_CONTEXT,
    r"\bself (harm|harming|injury|injure|injuring)\b" + _ORG_CONTEXT,
    r"\b(end|ending|ended|take|taking|took) (my|his|her|their) (own )?life\b"
    r"(?! (in|into|to|back|seriously|forward))",
    r"\bend(ing)? it all\b",
    r"\b(want to|going to|gonna|plan to|planning to|decided to|ready to|night i|day i)"
    r" end (it|everything|things|my suffering)\b",
    r"\b(want|wants|wanted|wanna|wish|wishing|going|planning|plan|ready|deserve) (to )?die\b",
    r"\b(want|wish) (i was|i were|to be) dead\b",
    r"\bbetter off (dead|without me|if i (was|were|am) gone)\b",
    r"\b(happier|better) (if|when) i (was|were|am) (gone|dead|not here|not around)\b",
    r"\b(dont|do not|no longer) want to (live|be alive|be here|exist|wake up|go on)\b"
    r"(?! (in|near|with|at|on|there|abroad|call)\b)",
    r"\bno (reason|point|will) (to|in|for) (live|living|go on|going on|keep going|being alive)\b",
    r"\b(cant|cannot|can not) (go on|keep going|carry on)\b(?! (to|with|at|in|for|about|call"
    r"|calls|shifts?|vacation|leave|rounds|working|doing|the|a|an|this|that|these|those|my"
    r"|our)\b)",
    r"\b(cant|cannot|can not) (take (it|this|much) (anymore|any more)|live like this|do life)\b",
    r"\bnot worth (living|being alive)\b|\blife (isnt|is not|aint|doesnt feel|does not feel"
    r"|no longer feels|no longer seems) worth\b",
    r"\bdone with (life|living|it all)\b",
    r"\b(goodbye|suicide) (letter|note)s?\b",
    r"\bstockpil\w* (\w+ ){0,2}(pills|meds|medications?|tablets|drugs|insulin|opioids)\b",
    r"\b(overdose|overdosing|od) (on|myself)\b|\b(thinking|thought|think)( \w+)? (about|of)"
    r" (overdosing|an overdose|taking all)",
    r"\b(never|not) (to )?wake up\b",
    r"\b(jump|jumping|leap|leaping) (off|from) (a |the |my |our )?(\w+ )?(bridge|roof|building"
    r"|cliff|balcony|window|ledge|tower|garage|overpass)\b|\b(jump|jumping|step|stepping) in front"
    r" of (a |the )?(train|bus|car|truck|traffic)\b",
    r"\b(thinking|thought|think|thoughts) (of|about) (jumping|overdosing|not waking|dying"
    r"|disappearing)\b(?! (to|into|ship|at|on|in|back|over|from|out)\b)",
    r"\bwant (it|this|everything|the pain|my life) (all )?to (be over|stop|end)\b",
    r"\b(going to|gonna|want to|wanna|plan to|planning to|ready to|will|decided to) end it\b",
    r"\b(im|i am) not safe( right now| tonight| with myself| alone)?$|\b(im|i am) not safe"
    r" (right now|tonight|with myself|alone)\b|\b(dont|do not) feel safe (with myself|right now"
    r"|tonight)\b",
    r"\b(pills|gun|rope|knife|razor|blade|noose)s? (in front of me|in my hand|next to me|ready)\b",
    r"\b(ways|how) to (kill myself|die|end my life|commit suicide)\b",
    r"\b(lethal|fatal|deadly) (for|to) me\b",
    r"\b(gun|firearm|pills|rope|knife|razor|blade|noose)\b.{0,60}\b(on myself|hurt myself"
    r"|end my life|end it)\b",
    r"\b(took|swallowed|taken|ingested) (a bunch|a lot|too many|a handful|an entire bottle"
    r"|the whole bottle|all)( of)? (my |the |those )?(pills|meds|medications?|tablets)\b",
    r"\b(drive|driving|crash|crashing|steer|steering) (my )?(car )?(off|into)"
    r" (the road|a bridge|a cliff|a tree|a wall|traffic)\b",
    r"\b(disappear|be gone|vanish) (forever|for good|permanently)\b",
    r"\b(thoughts?|thinking|think|thought|dream|dreaming) (of|about) (dying|death|being dead"
    r"|ending it|not existing|not being here)\b(?! (review|reviews|certificates?|rates?|audits?"
    r"|data|metrics|reports?)\b)",
    r"\b(feel|feeling|im|am|so|completely|totally) hopeless\b",
    r"\bno way out\b(?! of (the|my|this|our|a) (contracts?|agreement|deal|job|lease|non ?compete"
    r"|noncompete|role|position)\b)",
    r"\b(quiero|quisiera) morir\w*|\bmatarme\b|\bsuicidarme\b",
)


# --------------------------------------------------------------------------- injection rules
# Matched on the `low` form (lowercase, apostrophes dropped, punctuation kept).

_OVERRIDE_VERB = r"(ignore|disregard|forget|override|bypass|skip|abandon|discard|drop)"
_RULE_NOUN = (
    r"(instructions?|rules?|prompts?|guidelines?|guidance|directives?|constraints?"
    r"|restrictions?|programming|filters?|guard\w*|polic(y|ies)|training|settings|limits?|scope"
    r"|directions|setup|config\w*)"
)
_NOT_INTERVIEW = r"(?!.{0,40}\b(interview\w*|panel|hiring|recruiter|search committee))"
INJECTION_PATTERNS = _compile(
    r"\b" + _OVERRIDE_VERB + r"( all| any| every)?( of)?( the| your| my| these| those| this)?"
    r"( previous| prior| above| earlier| preceding| initial| original| system| safety| existing"
    r"| old| former| last| hidden| current)+ " + _RULE_NOUN + r"\b",
    r"\b" + _OVERRIDE_VERB + r" (all )?(of )?your (\w+ ){0,2}" + _RULE_NOUN + r"\b",
    r"(^|[.!?;:,\n(\[\]>-]\s*)(please |now |so |just |ok |okay |also |and )?"
    + _OVERRIDE_VERB
    + r" (all |any |the |these |those )?(\w+ ){0,2}"
    + _RULE_NOUN
    + r"\b",
    r"\b(forget|ignore|disregard) (everything|all that|anything|what) (you|i|weve|we|was|were)",
    r"\b(ignore|disregard|forget) (everything |all |anything |what was (written |said )?)?"
    r"(above|before this|previously|said before|the above)\b",
    r"\b(what|which) (rules|guidelines|instructions|directives|policies) do you (follow|have|obey"
    r"|operate under|run on)\b",
    r"\b(if|suppose|imagine|hypothetically|what if)\b.{0,30}\byou (had|have|were|are|werent)"
    r" (no|without|free of|not bound by|unrestricted|not restricted)\b",
    r"\bforget (all|everything|about) (that|of that|above|previous|this)\b",
    r"\byou(re| are) (now )?(a|an) (?!(\w+ ){0,2}(director|leader|manager|chief|cmo|executive"
    r"|physician|doctor|interviewer|candidate))(\w+ ){0,2}now\b",
    r"\b(ai|assistant|chatbot|bot|model)( \w+)? (that|which|who) (can |will |could )?(answer"
    r"|answers|respond\w*|do|does|say|says|prescribes?|tells?|gives?) (any|every|anything"
    r"|everything|whatever)\b",
    r"\bwithout (any )?(disclaimers?|refus\w+|censorship|safety (rules|filters|guidelines)|your"
    r" (rules|restrictions|filters|guidelines))\b",
    r"\byour new (task|purpose|mission|instructions?|directives?|persona)\b"
    r"|\byour (task|role|job|purpose|mission) is now\b",
    r"\b(answer|respond|reply|act|behave|talk|speak|chat|operate|assistant|ai|advisor|bot|advice"
    r"|advise|give|gives|giving"
    r"|chatbot|mode)\w* (\w+ ){0,3}with (no|zero|out any) (restrictions|limits|limitations|rules"
    r"|filters|guardrails|censorship|boundaries|disclaimers|warnings|caveats)\b",
    r"\b(rules|instructions|prompt|guidelines|directives) (you were|youve been|you have been|you"
    r" got) (given|told|programmed|trained)\b",
    r"\b(ai|assistant|chatbot|bot|model) (that|which|who) (never|doesnt|does not|wont|will not"
    r"|cannot|cant) (refuse\w*|says? no|declines?|rejects?)\b",
    r"\bstop being (director coach|a coach|an? (assistant|ai|bot|chatbot|career coach)|yourself)\b",
    r"\b(general ?purpose|unrestricted|uncensored) (assistant|ai|chatbot|bot|model|advisor)\b",
    r"\bsystem (prompt|instructions)\b|\byour system (message|rules)\b",
    r"\byour (\w+ )?(initial|hidden|secret|original|internal|underlying|developer|pre|starting"
    r"|base) (prompt|instructions?|rules|configuration|config|message|guidelines|directives)\b",
    r"\b(hidden|secret|initial|pre|base|developer|starting) (prompt|instructions|configuration"
    r"|config)\b",
    r"\byour (\w+ )?(prompt|system prompt|configuration|config|programming)\b",
    r"\b(reveal|show|print|display|output|repeat|list|tell me|share|leak|dump|give me|what are"
    r"|what were|summari[sz]e|translate|recite|spell out|paste|write out) (me )?your (\w+ )?"
    r"(instructions|prompt|rules|directives|configuration|config|programming|restrictions"
    r"|filters|guardrails)\b",
    r"\b(what|which) (\w+ )?(instructions|rules|prompts?|guidelines|directives) (were|have|did)"
    r" you (been )?(given|told|programmed|get|receive)",
    r"\bwhat (were|have) you (been )?(told|instructed|programmed|given)\b",
    r"\b(print|repeat|output|show|display|reveal|paste) (me )?(everything|all|the text|the words"
    r"|what is|whats|anything) (\w+ )?(above|before this|prior to this|so far)\b",
    r"\byou are now\b" + _NOT_INTERVIEW,
    r"\b(youre|you are) no longer\b|\bno longer (bound|restricted|limited)\b",
    r"\b(from now on|henceforth|for the rest of (this|the) (conversation|chat)),? (you|act|respond"
    r"|answer|pretend|reply|only|always|never)\b" + _NOT_INTERVIEW,
    r"\b(dan mode|do anything now|developer mode|dev mode|god mode|jail ?break\w*|jail broken"
    r"|prompt injection)\b",
    r"\b(pretend|imagine|act as if|act like|assume|suppose|simulate|role ?play|behave as if)\b"
    r".{0,20}\b(you|youre|an ai|a bot|an assistant|a chatbot)\b.{0,30}\b(no|without|dont have"
    r"|do not have|free (of|from)|escaped|ignores?)\b.{0,25}\b"
    r"(rules|restrictions|limits|filters|guidelines|policies|policy|safety|guardrails"
    r"|constraints|censorship|ethics|morals)\b",
    r"\b(unfiltered|uncensored|unrestricted|jailbroken|unaligned|unlimited|rogue|evil)"
    r" (ai|assistant|chatbot|bot|model|version|llm|persona|mode)\b",
    r"\b(ai|assistant|chatbot|bot|llm)( that| which| who)? (has |with )?(no|without|escaped"
    r"|free of|ignores|that ignores) (\w+ ){0,2}(rules|restrictions|guidelines|filters|limits"
    r"|safety|polic(y|ies))\b",
    r"\b(disable|turn off|deactivate|remove|switch off|lift|bypass|circumvent|get around|evade"
    r"|override) (all )?your (\w+ )?(guard|filters?|safety|safeguards|restrictions|rules|limits"
    r"|limitations|content policy|moderation|censorship|topic (filter|restrictions?)|refusals?)\b",
    r"\b(disable|turn off|deactivate|switch off|bypass|circumvent|get around|evade|override)"
    r" (the |all |this |any )*(guard|guardrails|content (policy|filters?)|moderation|censorship"
    r"|topic (filter|restrictions?)|refusals?|safety filters?)\b",
    r"\b(act|pretend|role ?play|roleplay|play|assume the role of|take the role of)\b.{0,40}"
    r"\b(doctor|physician|pharmacist|nurse)\b.{0,60}\b(prescri\w*|dos\w*|diagnos\w*"
    r"|medical advice)",
    r"\[/?inst\]|<\|?(im_start|im_end|system|endoftext)\|?>|#{2,}\s*(system|instruction)"
    r"|\[system\]|<system>",
    r"(^|\n)\s*(system|developer)\s*:",
    r"\bnew (instructions?|directives?|system prompt)s?\s*:",
    r"\b(start|begin) your (reply|response|answer|output) with\b",
    r"\bi am your (developer|creator|admin|administrator|programmer|owner|maker)\b"
    r"|\bim your (developer|creator|admin|administrator|programmer|owner|maker)\b",
    r"\bgrandm(a|other)\b.{0,80}\b(prompt|instructions|password|keys?|napalm)\b",
    r"\b(must|will|to|always) comply with (every|all|any|my) (request|instruction|command)s?\b",
    r"\brespond without (any )?(limits|restrictions|filters|refus\w*)\b",
)
CASED_INJECTION = _compile(
    r"\bDAN\b", r"\bSTAN\b", r"\bAIM\b.{0,30}\b(Machiavellian|amoral)\b", r"\bDan (mode|prompt)\b"
)


# --------------------------------------------------------------------------- clinical rules
# Doses, results and treatment choices, matched on the `words` form.

_DRUG_CLASS = (
    r"(antibiotics?|drugs?|medications?|medicines?|meds|blood thinners?|anticoagulants?"
    r"|antidepressants?|statins?|inhalers?|painkillers?|pain relievers?|antivirals?|vaccines?"
    r"|steroids?|insulin|antihypertensives?|diuretics?|beta blockers?|opioids?|supplements?)"
)
CLINICAL_PATTERNS = _compile(
    r"\b(what|which|right|correct|proper|starting|initial|max|maximum|usual|typical|safe|normal"
    r"|recommended|loading|maintenance|daily|pediatric|paediatric|adult|renal)( \w+){0,2}"
    r" (dose|doses|dosage|dosing)\b",
    r"\b(what|which|how much|right|correct|usual|max\w*|starting|safe)\b( \w+){0,4}"
    r" (dose|dosage|dosing) (of|for)\b|^(dose|dosage|dosing) (of|for)\b",
    r"\bhow (many|much) (mg|mcg|milligrams?|micrograms?|units|ml|tablets|pills|capsules)\b",
    r"\bhow much \w+( \w+)? (should|can|do|could) (i|you|we|he|she|they) (take|give|use"
    r"|prescribe)\b",
    r"\bmy (\w+ )?(lab|labs|blood ?work|blood test|biopsy|pathology|mri|ct|x ?ray|ecg|ekg"
    r"|ultrasound|colonoscopy|mammogram|echo|urine test) (results?|reports?|findings|shows?"
    r"|showed|came back|says|said)\b",
    r"\b(interpret|read|explain|look at|review|analy[sz]e) (my|these|this|a) (\w+ )?(labs?"
    r"|lab results|ecg|ekg|x ?ray|xray|mri|ct scan|bloodwork|blood work|biopsy|pathology"
    r"|radiology report|symptoms)\b",
    r"\bfirst ?line (treatment|therapy|drug|agent|antibiotic|medication|option)\b",
    r"\b(which|what|best) " + _DRUG_CLASS + r" (should|to|is|are|for|covers?|works?|would|has"
    r"|have)\b",
    r"\b(side effects?|adverse effects?|drug interactions?|contraindications?) (of|with"
    r"|between|for)\b",
    r"\bdifferential (diagnosis|for)\b|\bwork ?up (for|of)\b",
    r"\bdo i need (stitches|antibiotics|surgery|a (ct|mri|scan|biopsy)|an (x ray|xray|mri))\b",
    r"\bis (my|a|an) (resting )?(heart rate|blood pressure|bp|pulse|temperature|potassium"
    r"|sodium|glucose|blood sugar|a1c|cholesterol|ldl|inr|creatinine)\b",
    r"\b(inr|a1c|trough|tsh|psa) (target|goal|level|of)\b",
    r"\b(diagnose|diagnosis for|prescribe) (me|my)\b",
)
# Phrases that are medical only in a medical context ("should I take the job?", "Ana is ..."):
# they count when the message has medical vocabulary or no career / leadership words at all.

# A question about one patient's care: "my patient's potassium is 6.1, what do I give?"
_PATIENT = (
    r"(^(patient|pt)(?= (in|with|on|presenting|has|had|is)\b)|\b(my|this|the|our|a)"
    r" (\d+ ?(yo|y o|year old|yr old) )?(\w+ )?(patient|pt)s?(s)?\b)"
    r"(?! (satisfaction|experience|safety|flow|care|outcomes?|complaints?|feedback|volume|falls?"
    r"|deaths?|portal|advocate|advocates|relations|population|panel))"
)
PATIENT_ADVICE = re.compile(
    _PATIENT + r".{0,80}\b(what (do|should|can|would) (i|we) (give|start|do|order|use)"
    r"|should (i|we|she|he) (give|start|stop|get|be (started|given|switched))|dose|dosing"
    r"|titrat\w*|prescri\w*|diagnos\w*|work ?up|treat\w*|manage (it|this|her|him)"
    r"|first ?line|(initial|acute) management|next step in (management|treatment))\b"
    r"|\b(should|do) (i|we) (start|give|put) (my|this|the|a|an) (\d+ ?(yo|year old) )?"
    r"(\w+ )?(patient|pt)\b"
    # one patient's paperwork: "draft a discharge summary for my CHF patient"
    r"|\b(write|draft|dictate|write up)\b.{0,40}\b(summary|note|letter|orders|h&p|soap)\b"
    r".{0,30}\bfor (my|this|the|a|an) (\w+ ){0,2}(patient|pt)\b"
)


def crisis(t: Text) -> bool:
    """Return whether a message speaks of self-harm or suicide (the writer or someone else)."""
    return _any(CRISIS_PATTERNS, t.words)


def injection(t: Text) -> bool:
    """Return whether a message tries to change, reveal or escape the coach's instructions."""
    return _any(INJECTION_PATTERNS, t.low) or _any(CASED_INJECTION, t.raw)


def clinical(t: Text) -> bool:
    """Return whether a message asks for a dose, a diagnosis or one patient's treatment."""
    return _any(CLINICAL_PATTERNS, t.words) or bool(PATIENT_ADVICE.search(t.words))


def rule_label(text: str) -> str | None:
    """Return the label the safety rules give a message, or None when they do not fire."""
    t = prepare(text)
    if crisis(t):
        return "crisis"
    if injection(t):
        return "injection"
    return "clinical" if clinical(t) else None
