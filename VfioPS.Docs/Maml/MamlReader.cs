using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;

namespace VfioPS.Docs.Maml;

/// <summary>What a MAML file says about one command, read with LINQ to XML (independently of the writer).</summary>
public sealed record MamlCommand(
    string Name,
    string Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<IReadOnlyList<MamlParameter>> SyntaxItems,
    IReadOnlyList<MamlParameter> Parameters,
    IReadOnlyList<string> InputTypes,
    IReadOnlyList<string> ReturnTypes,
    IReadOnlyList<(string Title, IReadOnlyList<string> Paragraphs)> Examples,
    IReadOnlyList<(string Text, string Uri)> Links);

public sealed record MamlParameter(string Name, bool Required, string Position, string PipelineInput, bool Globbing, string Aliases,
    string? Value, string? Type, IReadOnlyList<string> Description, IReadOnlyList<string> AcceptedValues);

public static class MamlReader
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static IReadOnlyList<MamlCommand> Read(string path) => Parse(File.ReadAllText(path));

    public static IReadOnlyList<MamlCommand> Parse(string xml)
    {
        // Read with XML 1.0's character checks: PlatyPS 1.0.3's example separator, &#x80;, is an XML 1.0 character.
        var document = XDocument.Parse(xml);
        return document.Root!.Elements(Command + "command").Select(ReadCommand).ToList();
    }

    private static MamlCommand ReadCommand(XElement command)
    {
        var details = command.Element(Command + "details")!;
        return new MamlCommand(
            (string)details.Element(Command + "name")!,
            string.Join("\n", Paras(details.Element(Maml + "description"))),
            Paras(command.Element(Maml + "description")),
            command.Element(Command + "syntax")!.Elements(Command + "syntaxItem")
                .Select(item => (IReadOnlyList<MamlParameter>)item.Elements(Command + "parameter").Select(ReadParameter).ToList()).ToList(),
            command.Element(Command + "parameters")!.Elements(Command + "parameter").Select(ReadParameter).ToList(),
            command.Element(Command + "inputTypes")!.Elements().Select(TypeName).ToList(),
            command.Element(Command + "returnValues")!.Elements().Select(TypeName).ToList(),
            command.Element(Command + "examples")!.Elements(Command + "example")
                .Select(e => ((string)e.Element(Maml + "title")!, Paras(e.Element(Maml + "introduction")))).ToList(),
            command.Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink")
                .Select(l => ((string)l.Element(Maml + "linkText")!, (string?)l.Element(Maml + "uri") ?? "")).ToList());
    }

    private static MamlParameter ReadParameter(XElement p) => new(
        (string)p.Element(Maml + "name")!,
        (string?)p.Attribute("required") == "true",
        (string?)p.Attribute("position") ?? "",
        (string?)p.Attribute("pipelineInput") ?? "",
        (string?)p.Attribute("globbing") == "true",
        (string?)p.Attribute("aliases") ?? "",
        (string?)p.Element(Command + "parameterValue"),
        (string?)p.Element(Dev + "type")?.Element(Maml + "name"),
        Paras(p.Element(Maml + "description")),
        p.Element(Command + "parameterValueGroup")?.Elements().Select(v => (string)v).ToList() ?? new List<string>());

    private static string TypeName(XElement item) => (string?)item.Element(Dev + "type")?.Element(Maml + "name") ?? "";

    private static IReadOnlyList<string> Paras(XElement? element)
        => element?.Elements(Maml + "para").Select(p => (string)p).ToList() ?? new List<string>();
}
