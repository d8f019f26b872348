"""Scope guard: decide in code whether a message is a career question, before any model runs.

Rules (regular expressions) settle the unambiguous cases: crisis first, then prompt injection,
greetings and dosing or personal medical questions. Everything else is classified by k-NN
similarity to the exemplar prompts in `prompts/guard.yaml`. Leadership or management framing
("how do I get doctors to follow the sepsis protocol") overrides clinical vocabulary.
"""

from __future__ import annotations

import csv
import html
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.prompts import load_data
from bot.text import is_follow_up

logger = logging.getLogger(__name__)

Label = Literal["career", "clinical", "off_topic", "injection", "crisis", "greeting"]
LABELS: tuple[Label, ...] = ("career", "clinical", "off_topic", "injection", "crisis", "greeting")
TOPIC_LABELS: tuple[Label, ...] = ("career", "clinical", "off_topic")

MAX_CHARS = 20_000  # longer input is cut before any rule runs (callers accept at most 4,000)
CHUNK_CHARS = 500  # long messages are embedded in chunks of about this size, then averaged
MAX_CHUNKS = 8
DEFAULT_THRESHOLDS: dict[str, float] = {
    "k": 3,  # neighbours averaged per class
    # Rules catch the explicit crisis, injection and greeting messages; the embedding part
    # accepts these classes only with a high similarity, or a fair one and a clear margin
    # over the best topic class (career, clinical, off_topic).
    "crisis": 0.55,
    "crisis_low": 0.45,
    "injection": 0.6,
    "injection_low": 0.4,
    "greeting": 0.6,
    "greeting_low": 0.45,
    "margin": 0.15,
    # A message in no topic's domain goes to the nearest special class if it is fairly close.
    "special_floor": 0.3,
    "special_margin": 0.12,
    "greeting_words": 10,  # embedding-only greetings must be this short
    # Career and clinical are narrow domains: below this similarity a message needs words of
    # the domain (leadership framing, medical vocabulary) or it is off topic.
    "career_floor": 0.35,
    "clinical_floor": 0.28,
    "confident": 0.35,  # a follow-up this close to a non-career class keeps its own label
}
DEFAULT_REASONS: dict[str, str] = {
    "career": "",
    "clinical": "clinical advice",
    "off_topic": "off topic",
    "injection": "prompt injection",
    "crisis": "crisis",
    "greeting": "greeting",
}


@dataclass(frozen=True)
class GuardDecision:
    """The guard's verdict on one message."""

    label: Label
    reason: str
    reply: str

    @property
    def allowed(self) -> bool:
        """Return True only for career questions, which go on to retrieval."""
        return self.label == "career"


# --------------------------------------------------------------------------- text forms


@dataclass(frozen=True)
class _Text:
    raw: str  # normalised text, case kept
    low: str  # lowercase, apostrophes dropped, punctuation and newlines kept
    words: str  # lowercase words separated by single spaces
    plain: str  # HTML tags stripped, for embedding


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TAGS = re.compile(r"<[^<>]{0,500}>")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def _prepare(text: object) -> _Text:
    s = text if isinstance(text, str) else str(text)
    s = s[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    s = unicodedata.normalize("NFKC", html.unescape(s))
    s = _CONTROL.sub(" ", _INVISIBLE.sub("", s)).translate(_QUOTES)
    low = re.sub(r"[^\S\n]+", " ", s.lower().replace("'", "")).strip()
    words = re.sub(r"[\W_]+", " ", low).strip()
    plain = re.sub(r"\s+", " ", _TAGS.sub(" ", s)).strip() or s.strip()
    return _Text(raw=s, low=low, words=words, plain=plain)


def _any(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


# People a medical director leads or works with (used by clinical and leadership rules).
_PEOPLE = (
    r"(physicians?|doctors?|surgeons?|clinicians?|colleagues?|nurses?|nursing staff|staff"
    r"|teams?|department|unit|group|hospitalists?|residents?|fellows|providers?|prescribers?"
    r"|partners|employees|direct reports|board|executives?|cfo|ceo|cmo|coo|administrators?"
    r"|stakeholders|medical staff|everyone|people|\w+ology|\w+ologists|\w+icians|\w+ists)"
)

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

# --------------------------------------------------------------------------- greeting rule

_GREETING_WORDS = re.compile(
    r"\b(hi|hii+|hello|helo|hey|heya|hiya|howdy|yo|sup|greetings|good (morning|afternoon|evening"
    r"|night|day)|morning|evening|thanks?|thank you|thankyou|thx|ty|cheers|much appreciated"
    r"|appreciate( it| that| you| the help| your help)?|bye|goodbye|bye bye"
    r"|see (you|ya)( later| soon)?|later|take care|who are you|what are you|what can you do"
    r"|what do you do|how are you( doing)?( today)?|hows it going|whats up|nice to meet you"
    r"|pleased to meet you|what is this( \w+)?( for| about)?|what are you for"
    r"|what (can|do) you help( me| us)?( out)?( with)?|im new( here)?|first time( here)?"
    r"|who (made|built|created|designed) you|hows your day( going)?)\b"
)
_GREETING_FILLER = re.compile(
    r"\b(there|all|everyone|again|so|very|really|much|a lot|a bunch|lots|ok|okay|cool|great"
    r"|nice|perfect|awesome|got it|that|this|helps|helped|is|was|helpful|useful|bot|coach"
    r"|director coach|friend|doc|for|your help|the help|you|and|oh|well|appreciate|today"
    r"|tonight|now|mate|folks|guys|exactly|actually|anyway)\b"
)


def _is_greeting(t: _Text) -> bool:
    if not t.words or len(t.words.split()) > 10 or not _GREETING_WORDS.search(t.words):
        return False
    rest = _GREETING_FILLER.sub(" ", _GREETING_WORDS.sub(" ", t.words))
    return not rest.strip()


def _is_thanks(t: _Text) -> bool:
    return bool(re.search(r"\b(thanks?|thank you|thx|ty|appreciated?|cheers)\b", t.words))


# --------------------------------------------------------------------------- clinical rules
# Dosing and personal medical questions, matched on the `words` form.

_SYMPTOM = (
    r"(headaches?|migraines?|fever|rash|cough|coughing|chest pain|pain|sore throat|lump|bump"
    r"|diarrh\w+|nausea|vomiting|dizz\w+|infection|uti|cold|flu|covid|shingles|strep|palpitations"
    r"|insomnia|back pain|high blood pressure|hypertension|diabetes|asthma|swelling|bleeding"
    r"|blood in|shortness of breath|numbness|tingling|mole|spot|blister|burn|sprain|fracture"
    r"|broken \w+|allergic reaction|hives|itch\w*|stomach ache|abdominal pain|earache|toothache)"
)
_DRUG_CLASS = (
    r"(antibiotics?|drugs?|medications?|medicines?|meds|blood thinners?|anticoagulants?"
    r"|antidepressants?|statins?|inhalers?|painkillers?|pain relievers?|antivirals?|vaccines?"
    r"|steroids?|insulin|antihypertensives?|diuretics?|beta blockers?|opioids?|supplements?)"
)
_LAB = (
    r"(ana|ferritin|abg|tsh|psa|alt|ast|troponin|bnp|creatinine|egfr|hemoglobin|haemoglobin|hgb"
    r"|wbc|white count|platelets?|potassium|sodium|glucose|blood sugar|a1c|hba1c|ldl|hdl"
    r"|cholesterol|triglycerides|inr|ptt|d dimer|lactate|crp|esr|vitamin d|b12|bilirubin|lipase"
    r"|ph|pco2|co2|bicarb|urinalysis|(blood|urine|sputum|wound|throat) culture|pap smear|biopsy)"
)
_CONDITION = (
    r"(exacerbation|asthma attack|copd|pneumonia|sepsis in a patient|septic shock|dka|ketoacidosis"
    r"|heart failure exacerbation|flare|flare up|seizure|stroke patient|anaphylaxis"
    r"|overdose patient"
    r"|fracture|bleed|gi bleed|cardiac arrest|arrhythmia|afib|atrial fibrillation|hypoglycemia"
    r"|hyperglycemia|hyperkalemia|hyponatremia|dehydration|cellulitis|uti|migraine|hypertension"
    r"|diabetes|pain crisis|delirium|withdrawal)"
)
CLINICAL_PATTERNS = _compile(
    r"\b(what|which|right|correct|proper|starting|initial|max|maximum|usual|typical|safe|normal"
    r"|recommended|loading|maintenance|daily|pediatric|paediatric|adult|renal)( \w+){0,2}"
    r" (dose|doses|dosage|dosing)\b",
    r"\b(dose|dosage|dosing) (of|for)\b",
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
CLINICAL_AMBIGUOUS = _compile(
    r"\bshould i (take|stop|start|keep taking|be worried|worry|see a doctor|go to the"
    r" (er|emergency|hospital|doctor|urgent care)|get (a |an )?(ct|mri|x ray|xray|scan|test|tested"
    r"|vaccin\w*|shot|booster)|use (ice|heat))\b",
    r"\b(is it|its|it is) (safe|ok|okay|dangerous|normal|bad|fine) (to|for me to|for my \w+ to)"
    r" (take|mix|combine|drink|use|give|stop|skip|double)\b",
    r"\b(can|could|may) i (take|mix|combine|drink|stop taking|double up on) (\w+ )?(with|while"
    r"|for|if|after|before|and|on top of|every)\b",
    r"\bmy (\w+ )?(test|scan) (results?|reports?|findings|shows?|showed|came back|says|said)\b",
    r"\b(i|my \w+|he|she) (have|has|had|ve had|is having|am having|im having|got|get|keeps?"
    r" getting|think i have|might have|may have)( \w+){0,3} " + _SYMPTOM + r"\b",
    r"\bis (this|it|my) (\w+ )?(rash|lump|mole|spot|bump|swelling|pain|cough|bite|wound"
    r"|cancer\w*|infected|broken|serious|contagious)\b",
    r"\bhow (do|should|would|can|to) (i|you|we|one)? ?(treat|diagnose|titrate|taper|work up"
    r"|rule out|dose|prescribe|correct|reverse)\b(?! (my |our |the |your |a |an )?"
    + _PEOPLE
    + r"\b)",
    r"\b(treat|treating|treatment (for|of)|manage|managing|management of) (a |an |the |this )?"
    r"(patient|patients|child|infant|newborn|adult|elderly|pregnant)\b",
    r"\b(symptoms|warning signs?|signs) (of|for) (a |an )?(?!burnout|a bad|poor|toxic)\w+",
    r"\b" + _LAB + r" (of|is|was|at|came back|result|results|level|levels|mean|means|high|low)\b",
    r"\b(positive|negative|high|low|elevated|raised|abnormal|borderline) " + _LAB + r"\b",
    r"\b(interpret|read|explain) (an?|the|my|this|these) (\w+ )?" + _LAB + r"\b",
    r"\b(manage|managing|management of|treat|treating|handle) (a |an |the |this )?(\w+ )?"
    + _CONDITION
    + r"\b",
    r"\b(lethal|fatal|toxic) (dose|level|amount)\b",
)

MEDICAL_WORDS = re.compile(
    r"\b" + _LAB + r"\b|\b" + _CONDITION + r"\b|\b" + _SYMPTOM + r"\b|\b" + _DRUG_CLASS + r"\b|"
    r"\b(patients?|dose|doses|dosage|mg|mcg|symptoms?|diagnos\w+|treatments?|therapy|pills?"
    r"|tablets?|prescri\w+|blood|lab|labs|scan|x ray|mri|ct|ecg|ekg|biopsy|pathology|surgery"
    r"|stitches|wound|pregnan\w+|vaccin\w+|allerg\w+|disease|syndrome|cancer|tumou?r|heart|lung"
    r"|kidney|liver|stroke|sepsis|a1c|inr|trough|concussion|injur\w+|murmur|speech|slurred"
    r"|tingl\w*|dvt|pe|clots?|hands|feet|legs|arms|head|back|cramps?|fatigue|tired\w*|sleep\w*"
    r"|droop\w*|numb\w*|weakness|faint\w*|seizures?|sprain\w*|swallow\w*|swell\w*|sore|ache"
    r"|aches|hurts?|bruis\w*|knee|hip|ankle|wrist|shoulder|elbow|chest|stomach|belly|abdomen"
    r"|throat|ears?|eyes?|skin|toddler|baby|infant|newborn|cbc|eosinophils|neutrophils"
    r"|lymphocytes|diabetics?|asthmatics?|melatonin|aspirin|tylenol|advil|motrin|benadryl"
    r"|ibuprofen|acetaminophen|paracetamol|naproxen|lexapro|zoloft|prozac|xanax"
    r"|\w+(pril|olol|statin|mycin|cillin|azole|sartan|prazole|oxacin|dipine|tide|mab|parin|arin"
    r"|done|zepam|triptan|cycline|formin|profen|itis|osis|emia|algia|opathy|ectomy|otomy|oma"
    r"|penia|cytes?|phils?|uria|plegia|pnea|cardia|rrhea))\b"
)


def _medical_context(words: str) -> bool:
    return bool(MEDICAL_WORDS.search(words)) or _leadership(words) == 0


# --------------------------------------------------------------------------- leadership framing
# Management of people, processes or careers. Strong framing overrides clinical words.

_PROCESS = (
    r"(projects?|initiatives?|programs?|programmes?|committees?|meetings?|polic(y|ies)"
    r"|protocols?|rollouts?|changes?|audits?|reviews?|process(es)?|workflows?|response|budgets?"
    r"|strateg(y|ies)|plans?|metrics|rates|scores|bundles?|checklists?|order sets?|pathways?"
    r"|guidelines?|campaigns?|surveys?|conferences?|huddles?|drills?|stewardship|formulary"
    r"|compliance|adherence|quality|outcomes|performance|culture|morale|turnover|numbers"
    r"|debriefs?|retrospectives?|after action reviews?|case reviews?|sessions?|orientation"
    r"|onboarding|hand ?offs?|handovers?|reporting|schedules?|scheduling|coverage|operations)"
)
_MGMT_VERB = (
    r"(lead|leading|led|manage|managing|handle|handling|approach|address|addressing|coach"
    r"|coaching|confront|mentor|mentoring|supervise|supervising|motivate|motivating|persuade"
    r"|persuading|convince|convincing|engage|engaging|discipline|hold|holding|onboard|evaluate"
    r"|talk to|speak to|deal with|dealing with|work with|get|getting|roll out|rolling out"
    r"|implement|implementing|launch|launching|run|running|chair|chairing|oversee|overseeing"
    r"|champion|drive|driving|present|presenting|pitch|justify|enforce|enforcing|standardi[sz]e"
    r"|set up|build|building|design|designing|organi[sz]e|coordinate|coordinating|introduce"
    r"|introducing|prepare|reduce|reducing|improve|improving|raise|raising|cut|lower|fix|tell"
    r"|inform|announce|communicate|negotiate|recruit|hire|retain|train|educate|investigate"
    r"|respond to|escalate|report|track|monitor|measure|audit|promote|foster|create|establish"
    r"|encourage|sustain|rally|restructure|facilitate)"
)
_GAP = r" (?:(?!(?:per|patient|patients|me|myself)\b)\w+ ){0,4}?"
LEADERSHIP_STRONG = _compile(
    r"\b" + _MGMT_VERB + _GAP + _PEOPLE + r"\b",
    r"\b" + _MGMT_VERB + _GAP + _PROCESS + r"\b",
    r"\b" + _PEOPLE + r" (who |that )?(is |are |keeps? |keep |seem |seems )?(not following"
    r"|ignor\w+|doesnt follow|dont follow|wont follow|refus\w+|resist\w*|push\w* back|bypass\w*"
    r"|skip\w*|always late|late|disruptive|burn\w* out|underperform\w*|complain\w*|noncompliant"
    r"|non compliant|fight\w*|argu\w*|impaired|unprofessional|rude)\b",
    r"\b(buy in|adherence|compliance|uptake|engagement) (from|among|with|by|of|rates?)\b",
    r"\b" + _PEOPLE + r" (on|in|from) (my|our) (team|staff|service|unit|department|group)\b",
    r"\bone of (my|our) " + _PEOPLE + r"\b",
    r"\b(address|discuss|raise|handle) (it|this|that) with (him|her|them|the team)\b",
    r"\b(physician leader\w*|leadership (role|position|job"
    r"|program|course|training|skills?|style|development|team|pipeline)|career|cpe|mba|mha"
    r"|resume|cv|cover letter|interview\w*|mentor\w*|salary|compensation|promotion"
    r"|quality improvement|improvement (project|program|initiative)|qi (project|program)|pdsa"
    r"|root cause|peer review|credentialing|accreditation|joint commission|business case"
    r"|board meeting|change management|department (chief|chair|head)|service line|staffing"
    r"|ftes?|onboarding|performance review|one on ones?|direct reports|outbreak response"
    r"|morbidity and mortality|m and m|turf wars?|conflicts? (between|with|among))\b",
)
LEADERSHIP_WEAK = _compile(
    r"\b(medical director|director|chief|cmo|chief medical officer|leader|manager|administrator"
    r"|executive|physician executive|supervisor|leadership|lead|leading|manage|managing"
    r"|management|career|job|offer"
    r"|negotiat\w+|administrative|administration|admin|hiring|promotion|credentials?|mock"
    r"|practi[cs]e (answering|interview\w*|questions)|conflict|colleagues?|workplace|boss"
    r"|professional|skills?)\b",
    r"\b(our|my) (team|staff|department|unit|hospital|clinic|clinics|group|organi[sz]ation"
    r"|system|health system|practice|service|nurses|physicians|hospitalists|residents|ed|icu)\b",
)


def leadership_strength(text: str) -> int:
    """Return 2 for strong leadership or career framing, 1 for weak (a title), else 0."""
    words = _prepare(text).words
    return _leadership(words)


def _leadership(words: str) -> int:
    if _any(LEADERSHIP_STRONG, words):
        return 2
    return 1 if _any(LEADERSHIP_WEAK, words) else 0


# --------------------------------------------------------------------------- the guard


class Guard:
    """Classify messages into career / clinical / off_topic / injection / crisis / greeting.

    Holds only immutable data (exemplar embeddings, replies), so one instance is shared.
    """

    def __init__(self, embeddings: MiniLMEmbeddings, data: dict[str, Any] | None = None) -> None:
        data = data if data is not None else load_data("guard.yaml")
        self._embeddings = embeddings
        self._replies: dict[str, str] = {k: str(v).strip() for k, v in data["replies"].items()}
        self._reasons = {**DEFAULT_REASONS, **(data.get("reasons") or {})}
        self._t = {**DEFAULT_THRESHOLDS, **(data.get("thresholds") or {})}
        texts, labels = _flatten_exemplars(data["exemplars"])
        self._matrix = embeddings.matrix(texts)
        self._matrix.setflags(write=False)
        self._index = {lab: np.flatnonzero(np.asarray(labels) == lab) for lab in set(labels)}

    # ------------------------------------------------------------------ public

    def check(self, text: str, history: list[str] | None = None) -> GuardDecision:
        """Classify one user message, using earlier user messages for short follow-ups."""
        return self._safe_check(text, history or [], None)

    def check_many(self, texts: list[str]) -> list[GuardDecision]:
        """Classify independent messages (no history), embedding them in one batch."""
        plains = [_prepare(text).plain for text in texts]
        short = sorted({p for p in plains if len(p) <= CHUNK_CHARS})
        vectors = dict(zip(short, self._embeddings.matrix(short), strict=True)) if short else {}
        return [
            self._safe_check(text, [], vectors.get(p))
            for text, p in zip(texts, plains, strict=True)
        ]

    # ------------------------------------------------------------------ decision

    def _safe_check(
        self, text: str, history: list[str], vector: np.ndarray | None
    ) -> GuardDecision:
        try:
            prepared = _prepare(text)
            return self._decision(self._label(prepared, history, vector), prepared)
        except Exception:  # the guard must answer for any input
            logger.exception("guard failed; declining the message")
            return GuardDecision(
                "off_topic", self._reasons["off_topic"], self._replies["off_topic"]
            )

    def _label(self, t: _Text, history: list[str], vector: np.ndarray | None = None) -> Label:
        ruled = _rule_label(t)
        if ruled is not None:
            return ruled
        scores = self._scores(t, vector)
        label = self._topic_label(t, scores)
        context = self._context_label(t, scores, label, history)
        return context or label

    def _topic_label(self, t: _Text, scores: dict[str, float]) -> Label:
        label = self._embedding_label(t, scores)
        if label in ("clinical", "off_topic") and _leadership(t.words) >= 2:
            return "career"
        return label

    def _embedding_label(self, t: _Text, scores: dict[str, float]) -> Label:
        ranked = [cast(Label, lab) for lab in sorted(scores, key=scores.__getitem__, reverse=True)]
        best_topic = next(lab for lab in ranked if lab in TOPIC_LABELS)
        specials = [lab for lab in ranked[: ranked.index(best_topic)] if self._fits(lab, t)]
        accepted = [lab for lab in specials if self._accept_special(lab, scores)]
        if accepted:
            return accepted[0]
        topics = [lab for lab in ranked if lab in TOPIC_LABELS]
        outside: Label = "off_topic"
        topic = next((lab for lab in topics if self._in_domain(lab, t, scores[lab])), outside)
        # Nothing in domain: the nearest special class wins if it is reasonably close.
        if topic != best_topic and specials and self._near(specials[0], best_topic, scores):
            return specials[0]
        return topic

    def _near(self, special: Label, topic: Label, scores: dict[str, float]) -> bool:
        margin = scores[special] - scores[topic]
        return scores[special] >= self._t["special_floor"] and margin >= self._t["special_margin"]

    def _fits(self, label: Label, t: _Text) -> bool:
        return label != "greeting" or len(t.words.split()) <= self._t["greeting_words"]

    def _in_domain(self, label: Label, t: _Text, score: float) -> bool:
        if label == "off_topic" or score >= self._t[f"{label}_floor"]:
            return True
        if label == "career":
            return _leadership(t.words) >= 1
        return bool(MEDICAL_WORDS.search(t.words))

    def _accept_special(self, label: Label, scores: dict[str, float]) -> bool:
        score = scores[label]
        margin = score - max(scores[lab] for lab in TOPIC_LABELS)
        low = score >= self._t[f"{label}_low"] and margin >= self._t["margin"]
        return score >= self._t[label] or low

    def _context_label(
        self, t: _Text, scores: dict[str, float], label: Label, history: list[str]
    ) -> Label | None:
        prior = next((h for h in reversed(history) if isinstance(h, str) and h.strip()), None)
        if prior is None or not is_follow_up(t.plain):
            return None
        if label == "crisis" or (label != "career" and scores[label] >= self._t["confident"]):
            return None
        ctx = _prepare(f"{prior[-1000:]} {t.plain}")
        if _any(CRISIS_PATTERNS, ctx.words):
            return "crisis"
        if _clinical_rule(ctx):
            return "clinical"
        return self._topic_label(ctx, self._scores(ctx))

    # ------------------------------------------------------------------ embeddings

    def _scores(self, t: _Text, vector: np.ndarray | None = None) -> dict[str, float]:
        sims = self._matrix @ (vector if vector is not None else self._vector(t.plain))
        k = int(self._t["k"])
        return {lab: float(np.sort(sims[idx])[-k:].mean()) for lab, idx in self._index.items()}

    def _vector(self, text: str) -> np.ndarray:
        if len(text) <= CHUNK_CHARS:
            return np.asarray(self._embeddings.embed_query(text), dtype=np.float32)
        chunks = _chunks(text, CHUNK_CHARS, MAX_CHUNKS)
        mean = self._embeddings.matrix(chunks).mean(axis=0)
        return mean / (float(np.linalg.norm(mean)) or 1.0)

    # ------------------------------------------------------------------ replies

    def _decision(self, label: Label, t: _Text) -> GuardDecision:
        if label == "career":
            return GuardDecision("career", "", "")
        key = "thanks" if label == "greeting" and _is_thanks(t) else label
        reply = self._replies.get(key) or self._replies[label]
        return GuardDecision(label, self._reasons.get(label, label), reply)


def rule_label(text: str) -> Label | None:
    """Return the label the rules alone give a message, or None when the embeddings decide."""
    return _rule_label(_prepare(text))


def _rule_label(t: _Text) -> Label | None:
    if _any(CRISIS_PATTERNS, t.words):
        return "crisis"
    if _any(INJECTION_PATTERNS, t.low) or _any(CASED_INJECTION, t.raw):
        return "injection"
    if _is_greeting(t):
        return "greeting"
    if _clinical_rule(t):
        return "clinical"
    return None


def _clinical_rule(t: _Text) -> bool:
    if _leadership(t.words) >= 2:
        return False
    if _any(CLINICAL_PATTERNS, t.words):
        return True
    return _any(CLINICAL_AMBIGUOUS, t.words) and _medical_context(t.words)


def _chunks(text: str, size: int, limit: int) -> list[str]:
    words, chunks, current = text.split(), [], ""
    for word in words:
        if current and len(current) + len(word) + 1 > size:
            chunks.append(current)
            current = ""
        current = f"{current} {word}".strip()[: size * 2]
    chunks.append(current)
    if len(chunks) <= limit:
        return chunks
    step = len(chunks) / limit
    return [chunks[int(i * step)] for i in range(limit)]


def _flatten_exemplars(exemplars: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for label, items in exemplars.items():
        if label not in LABELS:
            raise ValueError(f"unknown guard label in exemplars: {label}")
        texts += [str(item) for item in items]
        labels += [label] * len(items)
    return texts, labels


# --------------------------------------------------------------------------- factory and eval


def make_guard(settings: Settings, embeddings: MiniLMEmbeddings) -> Guard:
    """Build the guard from `guard.yaml` in the configured prompts folder."""
    return Guard(embeddings, load_data("guard.yaml", settings.prompts_dir))


def load_labelled(path: Path) -> list[tuple[str, str]]:
    """Read a labelled CSV with columns `text,label`."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"].strip()) for row in csv.DictReader(handle)]


def guard_report(guard: Guard, rows: list[tuple[str, str]]) -> dict[str, Any]:
    """Return per-class precision, recall and support, accuracy and the misclassified rows."""
    got: list[str] = [decision.label for decision in guard.check_many([t for t, _ in rows])]
    expected = [label for _, label in rows]
    per_class = {label: _class_stats(label, expected, got) for label in LABELS}
    errors = [
        {"text": text, "expected": exp, "got": g}
        for (text, exp), g in zip(rows, got, strict=True)
        if exp != g
    ]
    accuracy = (len(rows) - len(errors)) / len(rows) if rows else 0.0
    return {"per_class": per_class, "accuracy": accuracy, "errors": errors}


def _class_stats(label: str, expected: list[str], got: list[str]) -> dict[str, float]:
    pairs = list(zip(expected, got, strict=True))
    tp = sum(1 for e, g in pairs if e == label and g == label)
    predicted = sum(1 for _, g in pairs if g == label)
    support = sum(1 for e, _ in pairs if e == label)
    precision = tp / predicted if predicted else (1.0 if not support else 0.0)
    recall = tp / support if support else 1.0
    return {"precision": precision, "recall": recall, "support": support}
