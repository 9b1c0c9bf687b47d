"""智能导诊 rules on a table of cases: the demo hospital's regions and symptoms give these departments, and every
red flag goes to 急诊."""
from __future__ import annotations

import pytest

from common.config import DEMO_CONFIG, load_hospital
from common.triage import TriageConfig, advise

RULES = load_hospital(DEMO_CONFIG).triage

CASES = [  # symptoms chosen -> (emergency, departments suggested in order)
    (["headache"], (False, ["NK"])),
    (["head_wound"], (False, ["WK"])),
    (["eye_red"], (False, ["YK"])),
    (["cough"], (False, ["NK"])),
    (["belly_pain"], (False, ["NK", "WK"])),
    (["joint_pain"], (False, ["WK", "NK"])),
    (["period_pregnancy"], (False, ["FK"])),
    (["child_fever"], (False, ["EK"])),
    (["fever"], (False, ["NK"])),
    (["fever", "joint_pain"], (False, ["NK", "WK"])),  # NK named first once, second once; WK first once
    (["wound", "joint_pain"], (False, ["WK", "NK"])),
    (["chest_pain"], (True, ["JZ"])),
    (["fever_breathless"], (True, ["JZ"])),
    (["stroke_signs"], (True, ["JZ"])),
    (["heavy_bleeding"], (True, ["JZ"])),
    (["cough", "chest_pain"], (True, ["JZ"])),  # a red flag wins over everything else
    (["no_such_symptom"], (False, [])),
]


@pytest.mark.parametrize("chosen,expected", CASES)
def test_the_table_of_cases(chosen, expected):
    advice = advise(RULES, chosen)
    assert (advice.emergency, [s.department for s in advice.departments]) == expected
    assert all(s.why_zh for s in advice.departments)  # always says why


def test_red_flags_say_which_and_never_more_than_two_departments():
    advice = advise(RULES, ["chest_pain", "heavy_bleeding"])
    assert advice.emergency and "胸口痛" in advice.reason_zh and "大量出血" in advice.reason_zh
    assert len(advise(RULES, ["headache", "eye_red", "period_pregnancy", "wound"]).departments) == 2


def test_the_hospital_file_is_checked():
    bad = TriageConfig.model_validate({"emergency": "XX", "regions": [{"id": "head", "name": "头部"}],
                                       "symptoms": [{"id": "a", "region": "leg", "name": "x", "departments": ["ZZ"]}]})
    problems = bad.problems({"NK", "JZ"})
    assert any("emergency" in p for p in problems) and any("region" in p for p in problems)
    assert any("'ZZ'" in p for p in problems)
