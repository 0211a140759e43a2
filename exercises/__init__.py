"""Graded exercises in the post's order: write a piece of the engines yourself, and let them grade it.

    python -m exercises                    the exercises, with your status on each
    python -m exercises start softmax      copy the stub to my_exercises/softmax.py (edit that file)
    python -m exercises check softmax      grade it: which input, which entry, expected against got,
                                           and the common mistake by name when it is one
    python -m exercises softmax --hint     the next hint;  --solution: the reference solution

``catalog`` lists the exercises and their hints, ``stubs/`` holds what you
start from, ``solutions/`` the reference answers, ``checks/`` one check per
exercise, built on ``grader`` (loading your file, comparing arrays) and
``mistakes`` (the catalogue of common mistakes, each with the message it gets).
"""
