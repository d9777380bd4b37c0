"""A generated month of generative-AI spend, shared by the AI unit-economics tests: Bedrock calls of
two models (input, output and cache-read tokens; one application inference profile tagged with a
team), Vertex AI Gemini tokens, a SageMaker endpoint serving vLLM, and two training runs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cur_rows, write_cur_csv

PROFILE = "arn:aws:bedrock:us-east-1:444455556666:application-inference-profile/abc123xyz"
ENDPOINT = "chat-llm"


def _hour(day: str, hour: int = 0) -> dict[str, str]:
    start, end = f"{day}T{hour:02d}:00:00Z", f"{day}T{hour + 1:02d}:00:00Z"
    return {"identity/TimeInterval": f"{start}/{end}", "lineItem/UsageStartDate": start, "lineItem/UsageEndDate": end}


def _bedrock(day: str, usage_type: str, amount: str, cost: str, **extra: str) -> dict[str, str]:
    return {
        **_hour(day), "lineItem/ProductCode": "AmazonBedrock", "product/ProductName": "Amazon Bedrock",
        "lineItem/UsageType": usage_type, "lineItem/Operation": "InvokeModelInference", "lineItem/UsageAmount": amount,
        "lineItem/UnblendedCost": cost, "lineItem/UnblendedRate": "", "pricing/publicOnDemandCost": cost,
        "pricing/publicOnDemandRate": "", "lineItem/ResourceId": "", "product/instanceType": "",
        "product/regionCode": "us-east-1", "lineItem/AvailabilityZone": "", "pricing/unit": "1K tokens",
        "lineItem/LineItemDescription": f"Amazon Bedrock {usage_type}", **extra,
    }


def _claude(day: str, usage_type: str, tokens: str, cost: str) -> dict[str, str]:
    # Anthropic's models are sold through AWS Marketplace: the model is in the product name, tokens are units
    return _bedrock(day, usage_type, tokens, cost, **{
        "lineItem/ProductCode": "c2f1b9ybrf7p8n3a0", "product/ProductName": "Claude 3.5 Sonnet (Amazon Bedrock Edition)",
        "pricing/unit": "Units", "lineItem/ResourceId": PROFILE, "resourceTags/user:team": "search",
        "lineItem/LineItemDescription": "Claude 3.5 Sonnet (Amazon Bedrock Edition) tokens",
    })


def _sagemaker(day: str, hour: int, usage_type: str, resource: str, cost: str) -> dict[str, str]:
    return {
        **_hour(day, hour), "lineItem/ProductCode": "AmazonSageMaker", "product/ProductName": "Amazon SageMaker",
        "lineItem/UsageType": usage_type, "lineItem/Operation": "RunInstance", "lineItem/UsageAmount": "1",
        "lineItem/UnblendedCost": cost, "lineItem/UnblendedRate": cost, "pricing/publicOnDemandCost": cost,
        "pricing/publicOnDemandRate": cost, "lineItem/ResourceId": resource, "pricing/unit": "Hrs",
        "product/regionCode": "us-east-1", "lineItem/LineItemDescription": f"SageMaker {usage_type}",
        "product/instanceType": usage_type.split(":")[1],
    }


def bedrock_rows() -> list[dict[str, str]]:
    """Claude 3.5 Sonnet through the profile in the week of 5 October 2026 and the week before, Llama 3
    70B billed per 1K tokens, ten hours of the chat-llm endpoint and three training jobs."""
    rows = [
        # week of 5 October: 2M input ($6.00), 0.5M output ($7.50), 1M cache read ($0.30)
        _claude("2026-10-06", "USE1-MP:USE1_InputTokenCount-Units", "2000000", "6.00"),
        _claude("2026-10-06", "USE1-MP:USE1_OutputTokenCount-Units", "500000", "7.50"),
        _claude("2026-10-06", "USE1-MP:USE1_CacheReadInputTokenCount-Units", "1000000", "0.30"),
        # the week before: 1M input ($3.00)
        _claude("2026-10-01", "USE1-MP:USE1_InputTokenCount-Units", "1000000", "3.00"),
        # Llama 3 70B: 4,000 x 1K input tokens ($10.60) and 1,000 x 1K output tokens ($3.50)
        _bedrock("2026-10-06", "USE1-Llama3-70B-input-tokens", "4000", "10.60"),
        _bedrock("2026-10-06", "USE1-Llama3-70B-output-tokens", "1000", "3.50"),
    ]
    endpoint_arn = f"arn:aws:sagemaker:us-east-1:444455556666:endpoint/{ENDPOINT}"
    rows += [_sagemaker("2026-10-06", h, "USE1-Host:ml.g5.xlarge", endpoint_arn, "1.408") for h in range(10)]
    job = "arn:aws:sagemaker:us-east-1:444455556666:training-job/{}"
    for name, hours in (("vit-pretrain-1", 4), ("vit-pretrain-2", 6), ("bert-finetune", 2)):
        rows += [_sagemaker("2026-10-07", h, "USE1-Train:ml.p4d.24xlarge", job.format(name), "37.688") for h in range(hours)]
    return cur_rows(*rows)


def write_bedrock_cur(path: Path) -> Path:
    return write_cur_csv(path, bedrock_rows())


_GCP_ROW = {
    "billing_account_id": "01A2B3-C4D5E6-F7A8B9",
    "service": {"id": "C7E2-9256-1C43", "description": "Vertex AI"},
    "project": {"id": "ads-ml", "number": "612034477020", "name": "Ads ML", "labels": [], "ancestry_numbers": "/1/612034477020/"},
    "labels": [{"key": "team", "value": "ads"}, {"key": "app", "value": "ad-copy"}],
    "system_labels": [], "location": {"location": "us-central1", "country": "US", "region": "us-central1", "zone": None},
    "resource": {"name": None, "global_name": None}, "tags": [], "currency": "USD", "currency_conversion_rate": 1.0,
    "credits": [], "invoice": {"month": "202610", "publisher_type": "GOOGLE"}, "cost_type": "regular",
    "subscription": {"instance_id": None}, "adjustment_info": None, "price": None,
    "export_time": "2026-10-07 06:00:00 UTC",
}


def write_gemini_export(path: Path) -> Path:
    """Gemini 2.5 Flash on 6 October: 10M input tokens ($3.00) and 2M output tokens ($5.00)."""
    rows = []
    for i, (sku, tokens, cost) in enumerate((("Gemini 2.5 Flash Text Input - Predictions", 10_000_000, 3.0),
                                             ("Gemini 2.5 Flash Text Output - Predictions", 2_000_000, 5.0))):
        rows.append({
            **_GCP_ROW, "sku": {"id": f"AB12-CD34-000{i}", "description": sku},
            "usage_start_time": "2026-10-06 10:00:00 UTC", "usage_end_time": "2026-10-06 11:00:00 UTC",
            "cost": cost, "usage": {"amount": tokens, "unit": "count", "amount_in_pricing_units": tokens / 1e6,
                                    "pricing_unit": "count"},
        })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
